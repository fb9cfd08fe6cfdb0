"""Turn a synthetic digest (see corpus.py) into the equivalent Hugo site, for a side-by-side time.

The same papers, one page each (abstract and note rendered from Markdown, tags, related
papers, a citation block), one page per weekly issue (a taxonomy term listing its ~40 papers as
cards), tag pages paginated 20 cards per page, a home page with the newest issue, and Hugo's
default RSS feeds and sitemap. Run Hugo with: hugo --quiet --source SITE --destination OUT

    python bench/hugo_site.py /tmp/digest-10k /tmp/hugo-10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from pathlib import Path

import yaml

CONFIG = {
    "baseURL": "https://bench.example.org/",
    "locale": "en",
    "title": "Synthetic Digest",
    "disableKinds": [],
    "taxonomies": {"tag": "tags", "issue": "issues"},
    "pagination": {"pagerSize": 20},
    "markup": {"goldmark": {"renderer": {"unsafe": False}, "extensions": {"typographer": {"disable": False},
               "linkify": True, "passthrough": {"enable": True, "delimiters": {"inline": [["$", "$"]], "block": [["$$", "$$"]]}}}}},
    "related": {"includeNewer": True, "threshold": 1, "toLower": False,
                "indices": [{"name": "tags", "weight": 100}]},
    "outputs": {"home": ["html", "rss"], "section": ["html", "rss"], "taxonomy": ["html"], "term": ["html", "rss"]},
}

BASEOF = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ .Site.Title }}</title>
<link rel="canonical" href="{{ .Permalink }}"><link rel="stylesheet" href="/style.css">
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body>
<header><a href="/">{{ .Site.Title }}</a> <nav><a href="/issues/">Issues</a> <a href="/tags/">Tags</a> <a href="/about/">About</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>{{ .Site.Title }} · built with Hugo</footer>
</body></html>
"""

CARD = """<article class="card"><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3>
<p class="authors">{{ $a := .Params.authors }}{{ delimit (first 3 $a) ", " }}{{ if gt (len $a) 4 }} + {{ sub (len $a) 3 }} more{{ else if eq (len $a) 4 }}, {{ index $a 3 }}{{ end }}</p>
{{ with .Params.tldr }}<p class="tldr">{{ . }}</p>{{ end }}
<p class="meta"><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 Jan 2006" }}</time>{{ with .Params.upvotes }} · ▲ {{ . }}{{ end }}</p>
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
<p class="links"><a href="https://arxiv.org/abs/{{ .Params.arxiv }}">arXiv</a> <a href="https://arxiv.org/pdf/{{ .Params.arxiv }}">PDF</a>{{ range $k, $v := .Params.links }} <a href="{{ $v }}">{{ $k }}</a>{{ end }}</p>
</article>
"""

SINGLE = """{{ define "main" }}<article class="paper"><h1>{{ .Title }}</h1>
<p class="authors">{{ delimit .Params.authors ", " }}</p>
<p class="meta">Featured <time>{{ .Date.Format "2 Jan 2006" }}</time>{{ with .Params.published }} · published {{ . }}{{ end }}
{{ range .GetTerms "issues" }} · in <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ with .Params.tldr }}<p class="tldr">{{ . }}</p>{{ end }}
<section><h2>Abstract</h2>{{ .Params.abstract | markdownify }}</section>
<section><h2>Curator's note</h2>{{ .Content }}</section>
<section><h2>Cite</h2><pre>@article{ {{- .File.BaseFileName }},
  title = { {{- .Title -}} },
  author = { {{- delimit .Params.authors " and " -}} },
  year = { {{- .Date.Format "2006" -}} },
  eprint = { {{- .Params.arxiv -}} },
  archivePrefix = {arXiv}
}</pre></section>
RELATED
</article>{{ end }}
"""
RELATED = """{{ with .Site.RegularPages.Related . | first 5 }}<section><h2>Related papers</h2>{{ range . }}{{ partial "card.html" . }}{{ end }}</section>{{ end }}"""
SINGLE = SINGLE.replace("RELATED", RELATED)

LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pages := .Pages.ByDate.Reverse }}{{ if eq .Data.Plural "issues" }}{{ range $pages }}{{ partial "card.html" . }}{{ end }}
{{ else }}{{ $pager := .Paginate $pages }}{{ range $pager.Pages }}{{ partial "card.html" . }}{{ end }}
<nav>{{ with $pager.Prev }}<a rel="prev" href="{{ .URL }}">Newer</a>{{ end }} page {{ $pager.PageNumber }} of {{ $pager.TotalPages }} {{ with $pager.Next }}<a rel="next" href="{{ .URL }}">Older</a>{{ end }}</nav>{{ end }}
{{ end }}
"""

TERMS = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
"""

HOME = """{{ define "main" }}{{ $latest := index (.Site.Taxonomies.issues.Alphabetical.Reverse) 0 }}
<h1>{{ $latest.Page.Title }}</h1>{{ range $latest.Pages.ByDate.Reverse }}{{ partial "card.html" . }}{{ end }}
<h2>Recent issues</h2><ul>{{ range first 6 (.Site.Taxonomies.issues.Alphabetical.Reverse) }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a></li>{{ end }}</ul>{{ end }}
"""

PLAIN = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}
"""


def convert(source: Path, dest: Path) -> int:
    """Write the Hugo site for the digest at source; return the number of papers."""
    if dest.exists():
        shutil.rmtree(dest)
    layouts = dest / "layouts"
    for rel, text in {"_default/baseof.html": BASEOF, "partials/card.html": CARD, "_default/single.html": SINGLE,
                      "_default/list.html": LIST, "_default/terms.html": TERMS, "index.html": HOME,
                      "plain/single.html": PLAIN}.items():
        (layouts / rel).parent.mkdir(parents=True, exist_ok=True)
        (layouts / rel).write_text(text, "utf-8")
    (dest / "hugo.json").write_text(json.dumps(CONFIG, indent=1), "utf-8")
    (dest / "static").mkdir()
    (dest / "static" / "style.css").write_text("body{font-family:sans-serif;max-width:48rem;margin:auto}\n", "utf-8")
    (dest / "content" / "papers").mkdir(parents=True)
    (dest / "content" / "about.md").write_text("---\ntitle: About\ntype: plain\n---\n\nA synthetic digest.\n", "utf-8")
    count = 0
    for path in sorted((source / "content" / "papers").rglob("*")):
        if path.suffix not in (".md", ".yaml"):
            continue
        text = path.read_text("utf-8")
        if path.suffix == ".md":
            _, front, body = text.split("---\n", 2)
            data = yaml.load(front, Loader=yaml.CSafeLoader)
        else:
            data = yaml.load(text, Loader=yaml.CSafeLoader)
            body = data.pop("note", "")
        day: dt.date = data["date"]
        week = day.isocalendar()
        data["date"] = day.isoformat()
        data["published"] = data["published"].isoformat()
        data["issues"] = [f"{week[0]}-W{week[1]:02d}"]
        out = dest / "content" / "papers" / f"{path.stem}.md"
        out.write_text("---\n" + json.dumps(data, ensure_ascii=False, indent=1) + "\n---\n\n" + body.strip() + "\n", "utf-8")
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    print(f"wrote {convert(args.source, args.dest)} papers as a Hugo site into {args.dest}")


if __name__ == "__main__":
    main()
