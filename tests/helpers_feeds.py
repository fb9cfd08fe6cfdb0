"""Shared pieces of the feed, export and email tests: tests/sites/feeds built once per session.

The site lives under a base_url subpath (https://example.org/digest/), uses a timezone with an
offset (Europe/Berlin), a feeds.limit of 3, two papers on the same day (the id tie-break), an
image, footnotes, math, hostile Markdown and an issue intro with root-relative and relative links.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree, html

from digestgen.cli import main

TESTS = Path(__file__).parent
FEEDS_SITE = TESTS / "sites" / "feeds"
BASE = "https://example.org/digest/"
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}
_BUILT: dict[str, Path] = {}


def build_copy(tmp: Path, name: str = "feeds", *, args: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """Copy tests/sites/<name> to tmp/site, build it to tmp/public; return (site, output)."""
    site = tmp / "site"
    shutil.copytree(TESTS / "sites" / name, site)
    out = tmp / "public"
    assert main(["build", "--site", str(site), "--output", str(out), *args]) == 0
    return site, out


def built_feeds_site(factory: pytest.TempPathFactory) -> Path:
    """The output folder of tests/sites/feeds, built once per session (read-only for tests)."""
    if "feeds" not in _BUILT:
        _site, out = build_copy(factory.mktemp("feeds-site"))
        _BUILT["feeds"] = out
    return _BUILT["feeds"]


def atom_tree(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())


def content_fragments(xml_path: Path) -> list[str]:
    """The HTML carried by every entry/item (Atom content and summary, RSS description and content:encoded)."""
    root = etree.fromstring(xml_path.read_bytes())
    found = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.rsplit("}", 1)[-1] in ("content", "summary", "description", "encoded") and element.text:
            found.append(element.text)
    return found


UNSAFE_ATTR = re.compile(r"^on", re.IGNORECASE)


def unsafe_bits(fragment: str) -> list[str]:
    """Scripts, styles, event handlers and javascript:/data: URLs in an HTML fragment."""
    problems = []
    tree = html.fragment_fromstring(fragment, create_parent="div")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in ("script", "style", "iframe", "object", "embed", "form"):
            problems.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if UNSAFE_ATTR.match(name) or name.lower() == "style":
                problems.append(f"{element.tag}@{name}")
            if name in ("href", "src") and value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                problems.append(f"{element.tag}@{name}={value[:30]}")
    return problems


def urls_in(fragment: str) -> list[str]:
    """Every href and src of an HTML fragment."""
    tree = html.fragment_fromstring(fragment, create_parent="div")
    return [value for element in tree.iter() if isinstance(element.tag, str)
            for name, value in element.attrib.items() if name in ("href", "src")]
