"""Counts in messages, with the noun in the right number."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """'1 paper', '2 papers', '0 papers' (nouns that take an s)."""
    return f"{count} {noun}{'s' * (count != 1)}"
