"""GitHub-flavoured Markdown from untrusted text: job summaries, pull-request bodies, comments.

Everything a stranger typed (a title, a note, an id that failed to parse) passes through
text() or code() before it reaches Markdown that GitHub renders: no HTML, no links, no
headings, no tables, no issue references or mentions that the text did not earn.
"""

from __future__ import annotations

import re

_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:>@$^])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# GitHub links '#12', 'GH-12' and '@name' in rendered text (and closes issues named after
# 'Fixes'); a zero-width space after the sign keeps such text from referring to anything
_REFERENCE = re.compile(r"([#@])(?=\w)|(?<=\bGH)(-)(?=\d)", re.IGNORECASE)


def text(value: str) -> str:
    """value as literal inline Markdown: one line, every punctuation mark escaped, HTML inert."""
    value = " ".join(_CONTROL.sub(" ", value).split())
    value = _REFERENCE.sub(lambda m: (m.group(1) or m.group(2)) + "\u200b", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # after the entities: their ';' and '#' need no escape, and '&' no longer starts one
    return _PUNCT.sub(r"\\\1", value)


def block(value: str) -> str:
    """Several lines of untrusted text as a block quote of literal lines (blank lines kept)."""
    lines = [text(line) for line in _CONTROL.sub(" ", value.replace("\r\n", "\n")).strip("\n").split("\n")]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def code(value: str) -> str:
    """value as an inline code span, whatever backticks it holds."""
    value = " ".join(_CONTROL.sub(" ", value).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def link(label: str, url: str) -> str:
    """A link whose URL was already checked (check_url: no spaces, quotes or angle brackets)."""
    return f"[{text(label)}](<{url}>)"
