"""Machine-readable outputs besides pages and feeds: sitemap, robots.txt, papers.json."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from digestgen.content import Paper
from digestgen.render import Renderer, paper_links
from digestgen.site import SiteModel


def sitemap(model: SiteModel, urls: list[tuple[str, str | None]], renderer: Renderer) -> bytes:
    """urls: (site path, lastmod ISO date or None)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, lastmod in urls:
        lines.append(f"  <url><loc>{escape(renderer.abs_url(path))}</loc>" + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(renderer: Renderer) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {renderer.abs_url('/sitemap.xml')}\n".encode("utf-8")


def paper_record(paper: Paper, model: SiteModel, renderer: Renderer) -> dict[str, Any]:
    return {
        "id": paper.id,
        "url": renderer.abs_url(f"/papers/{paper.id}/"),
        "title": paper.title,
        "authors": list(paper.authors),
        "date": paper.date.isoformat(),
        "published": paper.published.isoformat() if paper.published else None,
        "issue": model.issue_of.get(paper.id),
        "arxiv": paper.arxiv,
        "doi": paper.doi,
        "tldr": paper.tldr,
        "abstract": paper.abstract,
        "note": paper.note,
        "tags": list(paper.tags),
        "upvotes": paper.upvotes,
        "featured": paper.featured,
        "links": {label: url for label, _name, url in paper_links(paper)},
        "image": renderer.abs_url("/" + paper.image) if paper.image else None,
        "submitted_by": paper.submitted_by,
    }


def papers_json(model: SiteModel, renderer: Renderer) -> bytes:
    """/papers.json: every published paper, newest first (schema documented in the README)."""
    body = {
        "version": 1,
        "title": model.config.fields.title,
        "home_page_url": model.config.base_url,
        "updated": model.updated.isoformat() if model.updated else None,
        "papers": [paper_record(p, model, renderer) for p in model.papers],
    }
    return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")
