"""Exports: /papers.json (the schema the README documents), BibTeX per paper and per issue, /llms.txt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers_feeds import BASE, FEEDS_SITE, build_copy, built_feeds_site

from digestgen.bibtex import bibtex
from digestgen.config import load_config
from digestgen.load import load_site

PAPER_KEYS = ["id", "url", "title", "authors", "date", "published", "issue", "issue_url", "arxiv", "doi", "tldr",
              "note", "tags", "upvotes", "featured", "links", "image", "image_alt", "submitted_by",
              "bibtex_url"]
PUBLISHED = ["p-alpha", "p-beta", "p-gamma", "p-delta", "p-eps"]


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_feeds_site(tmp_path_factory)


def test_papers_json_schema(out: Path) -> None:
    body = json.loads((out / "papers.json").read_text("utf-8"))
    assert list(body) == ["version", "title", "home_page_url", "updated", "tags", "papers"]
    assert body["version"] == 2
    assert body["home_page_url"] == BASE
    assert body["updated"] == "2025-11-24"
    assert body["tags"]["agents"] == {"name": "Agents", "description": "Models that act.", "count": 2}
    assert body["tags"]["unused"]["count"] == 0
    assert [p["id"] for p in body["papers"]] == PUBLISHED  # newest first, id breaks ties
    for paper in body["papers"]:
        assert list(paper) == PAPER_KEYS
        assert paper["url"] == f"{BASE}papers/{paper['id']}/"
        assert paper["bibtex_url"] == f"{BASE}papers/{paper['id']}/{paper['id']}.bib"
        assert paper["issue_url"] == f"{BASE}issues/{paper['issue']}/"
        assert all(u.startswith("https://") for u in paper["links"].values())
    alpha = body["papers"][0]
    assert alpha["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert alpha["date"] == "2025-11-24" and alpha["published"] == "2025-11-01" and alpha["issue"] == "2025-W48"
    assert alpha["image"] == BASE + "img/fig.svg" and alpha["image_alt"] == "A black square"
    assert alpha["links"] == {"arxiv": "https://arxiv.org/abs/2511.00001", "pdf": "https://arxiv.org/pdf/2511.00001",
                              "code": "https://github.com/example/alpha"}
    gamma = body["papers"][2]
    assert gamma["doi"] == "10.1000/gamma.1" and gamma["links"] == {"doi": "https://doi.org/10.1000/gamma.1"}


def test_bibtex_file_per_paper_matches_the_page(out: Path) -> None:
    model, _ = load_site(load_config(FEEDS_SITE))
    for paper in model.papers:
        path = out / "papers" / paper.id / f"{paper.id}.bib"
        assert path.read_text("utf-8") == bibtex(paper)
    assert not (out / "papers" / "p-draft").exists()


def test_bibtex_file_per_issue_has_unique_keys(out: Path) -> None:
    text = (out / "issues/2025-W48/2025-W48.bib").read_text("utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", text, flags=re.MULTILINE)
    # both papers are by Lovelace, 2025, and start with "Agents": the second key gets a suffix
    assert keys == ["lovelace2025agents", "lovelace2025agentsb"]
    assert "title = {{Agents at scale: <b>bold</b> \\& friends}}" in text
    assert (out / "issues/2025-W45/2025-W45.bib").read_text("utf-8").startswith("@misc{")


def test_llms_txt_lists_issues_and_papers(out: Path) -> None:
    text = (out / "llms.txt").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Feed Test Digest"
    assert lines[2] == "> A digest that exercises feeds, exports and the email edition."
    assert "## Issues" in lines and "## Papers" in lines
    for key in ("2025-W48", "2025-W47", "2025-W46", "2025-W45"):
        assert f"({BASE}issues/{key}/)" in text
    for paper_id in PUBLISHED:
        assert f"({BASE}papers/{paper_id}/)" in text
    assert (
        f"- [Agents at scale: \\<b\\>bold\\</b\\> & friends]({BASE}papers/p-alpha/): Agents scale when you let them. "
        "(arXiv 2511.00001, featured 2025-11-24)" in lines
    )
    assert f"- [Agents & pictures (Week 48 · 24–30 Nov 2025)]({BASE}issues/2025-W48/): 2 papers" in lines
    assert f"({BASE}papers.json)" in text
    assert "p-draft" not in text and "p-future" not in text


def test_exports_are_deterministic(tmp_path: Path, out: Path) -> None:
    _site, again = build_copy(tmp_path)
    for name in ("papers.json", "llms.txt", "sitemap.xml", "robots.txt", "issues/2025-W48/2025-W48.bib",
                 "papers/p-alpha/p-alpha.bib"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_sitemap_and_robots(out: Path) -> None:
    sitemap = (out / "sitemap.xml").read_text("utf-8")
    assert f"<loc>{BASE}papers/p-alpha/</loc><lastmod>2025-11-24</lastmod>" in sitemap
    assert "404.html" not in sitemap
    assert (out / "robots.txt").read_text("utf-8").endswith(f"Sitemap: {BASE}sitemap.xml\n")


def test_big_sitemap_becomes_an_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from lxml import etree

    from digestgen import exports

    monkeypatch.setattr(exports, "SITEMAP_MAX_URLS", 4)
    _site, out = build_copy(tmp_path)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = etree.fromstring((out / "sitemap.xml").read_bytes())
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = index.findall("s:sitemap/s:loc", ns)
    assert [p.text for p in parts] == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    pages = [loc.text for n in range(1, len(parts) + 1)
             for loc in etree.fromstring((out / f"sitemap-{n}.xml").read_bytes()).findall("s:url/s:loc", ns)]
    assert len(parts) >= 2 and len(pages) == len(set(pages)) > 4 and f"{BASE}papers/p-alpha/" in pages
