"""Turn a synthetic digest (see corpus.py) into the equivalent Hugo site, for a side-by-side time.

The site makes what `digestgen build` makes of the same digest, file for file where Hugo allows:
- a page per paper (curator's note, then the abstract, both Markdown with math as MathML via
  `transform.ToMath`; tags, dates, links, the BibTeX entry, the `citation_*` metadata, five
  related papers through the configured `related` index of tags) with its BibTeX, RIS and
  CSL-JSON files (no abstracts) as output formats of the page;
- a page per weekly issue (a taxonomy term with its own title) listing its ~40 papers as
  compact cards (note blurb, authors, dates, links, tags) with an in-page list, a previous /
  next navigator and the issue's BibTeX, RIS and CSL-JSON bundles;
- tag pages of 20 one-line rows (title, authors, date, upvotes, tldr), each tag with an Atom
  feed and a BibTeX bundle; a page of rows and an Atom feed of summaries for each author with
  at least three papers, and their index;
- the home page (the newest issue and teasers of the ones before), the archive grouped by
  year, the tag index, an about page, the reading-list page with its index of papers and the
  theme's service worker, and a 404 page;
- the issue feeds as Atom, RSS and JSON Feed and an Atom feed of every paper, all holding at
  most `services.rss.limit` (20) items; feeds.opml, papers.json (no abstracts), llms.txt, the
  sitemap and robots.txt; the default theme's stylesheet, scripts and icon.

Each card, row, feed item, citation and JSON record is rendered once per paper (`partialCached`
keyed by the paper) and reused wherever the paper appears. Differences that remain, by Hugo's
design: a page's citation files are named index.bib (Hugo names an output format's file once
for every page) where digestgen writes <id>.bib; Hugo draws no social images (og.png).

Run Hugo with: hugo --quiet --source SITE --destination OUT

    python bench/hugo_site.py /tmp/digest-10k /tmp/hugo-10k
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import yaml

AUTHOR_PAGE_MIN = 3  # papers an author needs for a page, as digestgen's default
AUTHOR_INDEX_MAX = 1500  # authors /authors/ lists; past it, a page per letter, as digestgen's
# initials that Hugo's removePathAccents keeps, folded as digestgen's author slugs fold them
FOLD = {"ø": "o", "ł": "l", "đ": "d", "æ": "a", "œ": "o", "ß": "s", "þ": "t", "ð": "d"}
LIMIT = 20  # items per feed, as digestgen's `feeds: limit` in the corpus' site.yaml

CONFIG = {
    "baseURL": "https://bench.example.org/",
    "locale": "en",
    "title": "Synthetic Digest",
    "params": {"description": "A generated digest for benchmarking.", "fold": FOLD},
    "enableRobotsTXT": True,
    "taxonomies": {"tag": "tags", "issue": "issues", "author": "authors"},
    "removePathAccents": True,  # /authors/odegaard/ for Ødegaard, as digestgen's slugs
    "pagination": {"pagerSize": 20, "disableAliases": True},
    "services": {"rss": {"limit": LIMIT}},
    "markup": {"goldmark": {"renderer": {"unsafe": False}, "extensions": {
        "typographer": {"disable": False}, "linkify": True,
        "passthrough": {"enable": True, "delimiters": {"inline": [["$", "$"]], "block": [["$$", "$$"]]}}}}},
    # papers sharing the most tags (Hugo orders ties by date). Hugo's `date` index matches every
    # page of the same year: at 3,000 papers it tripled the CPU time of the paper pages.
    "related": {"includeNewer": True, "threshold": 1, "toLower": False, "indices": [{"name": "tags", "weight": 100}]},
    "mediaTypes": {
        "application/atom+xml": {"suffixes": ["xml"]},
        "text/x-bibtex": {"suffixes": ["bib"]},
        "application/x-research-info-systems": {"suffixes": ["ris"]},
        "application/vnd.citationstyles.csl+json": {"suffixes": ["json"]},
        "application/feed+json": {"suffixes": ["json"]},
        "text/x-opml": {"suffixes": ["opml"]},
    },
    "outputFormats": {
        "rss": {"baseName": "rss"},
        "atom": {"mediaType": "application/atom+xml", "baseName": "feed", "isPlainText": False, "rel": "alternate"},
        "jsonfeed": {"mediaType": "application/feed+json", "baseName": "feed", "isPlainText": True},
        "bib": {"mediaType": "text/x-bibtex", "baseName": "index", "isPlainText": True},
        "ris": {"mediaType": "application/x-research-info-systems", "baseName": "index", "isPlainText": True},
        "csl": {"mediaType": "application/vnd.citationstyles.csl+json", "baseName": "index.csl", "isPlainText": True},
        "papers": {"mediaType": "application/json", "baseName": "papers", "isPlainText": True},
        "llms": {"mediaType": "text/plain", "baseName": "llms", "isPlainText": True},
        "rlindex": {"mediaType": "application/json", "baseName": "index", "isPlainText": True},
        "opml": {"mediaType": "text/x-opml", "baseName": "feeds", "isPlainText": False},
    },
    "outputs": {"home": ["html", "atom", "rss", "jsonfeed", "opml", "papers", "llms"],
                "page": ["html", "bib", "ris", "csl"], "section": ["atom"], "taxonomy": ["html"],
                "term": ["html", "bib", "ris", "csl"]},
    # tags add their Atom feed; the papers section has no page, only its feed of every paper
    "cascade": [{"target": {"kind": "term", "path": "/tags/**"}, "outputs": ["html", "atom", "bib"]},
                {"target": {"kind": "term", "path": "/authors/**"}, "outputs": ["html", "atom"]}],
}

BASEOF = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="script-src 'self' 'sha256-rr5CzyG2+QtaW+Pd8HTFHRcGLov7u04BRHYYZnGTj+Y=' 'unsafe-eval'; object-src 'none'; base-uri 'none'"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
{{ $description := partial "description.html" . }}<meta name="description" content="{{ $description }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta name="color-scheme" content="light dark">
{{ hugo.Generator }}
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:type" content="{{ if .IsPage }}article{{ else }}website{{ end }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ $description }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:locale" content="en">
{{ if .IsPage }}<meta property="article:published_time" content="{{ .Date.Format "2006-01-02" }}">
{{ range .GetTerms "tags" }}<meta property="article:tag" content="{{ .LinkTitle }}">
{{ end }}{{ end }}<meta name="twitter:card" content="summary">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="alternate" type="application/atom+xml" title="{{ site.Title }}: issues (Atom)" href="/feed.xml">
<link rel="alternate" type="application/rss+xml" title="{{ site.Title }}: issues (RSS)" href="/rss.xml">
<link rel="alternate" type="application/feed+json" title="{{ site.Title }}: issues (JSON Feed)" href="/feed.json">
<link rel="alternate" type="application/atom+xml" title="{{ site.Title }}: every paper (Atom)" href="/papers/feed.xml">
{{ if not (or .IsPage .IsHome) }}{{ with .OutputFormats.Get "atom" }}<link rel="alternate" type="application/atom+xml" title="{{ site.Title }}: {{ $.Title }} (Atom)" href="{{ .RelPermalink }}">
{{ end }}{{ end }}<script>try{var d=document.documentElement,t=localStorage.getItem("theme");if(t==="dark"||t==="light")d.dataset.theme=t;d.classList.add("keeps-list")}catch(e){}</script>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/site.js" defer></script>
{{ block "head" . }}{{ end }}</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="wrap header-inner">
<a class="site-title" href="/"><span class="logo icon" aria-hidden="true"></span><span>{{ site.Title }}</span></a>
<nav class="site-nav" aria-label="Main">
<ul>
<li><a href="/issues/">Archive</a></li>
<li><a href="/tags/">Tags</a></li>
<li><a href="/authors/">Authors</a></li>
<li data-reading-list-link hidden><a href="/reading-list/">Reading list <span class="count" data-reading-list-count></span></a></li>
</ul>
</nav>
<button class="theme-toggle" type="button" data-theme-toggle hidden><span class="icon" aria-hidden="true"></span><span class="visually-hidden">Dark theme</span></button>
</div>
</header>
<main id="main" class="wrap">{{ block "main" . }}{{ end }}</main>
<footer class="site-footer">
<div class="wrap footer-inner">
<p><strong>{{ site.Title }}</strong> — {{ site.Params.description }}</p>
<p class="footer-links"><a href="/feed.xml">Atom</a> · <a href="/rss.xml">RSS</a> · <a href="/feed.json">JSON Feed</a> · <a href="/feeds.opml">OPML</a> · <a href="/papers.json">Data</a></p>
<p class="generator">Made with Hugo</p>
</div>
</footer>
</body>
</html>
"""

# math: the passthrough delimiters above hand $...$ to this hook, which renders MathML
MATH = """{{ with try (transform.ToMath .Inner (dict "displayMode" (eq .Type "block") "output" "mathml" "throwOnError" false)) }}{{ with .Err }}{{ errorf "math: %s" . }}{{ else }}{{ .Value }}{{ end }}{{ end }}"""

# small pieces shared by the partials below
AUTHORS_SHORT = """{{ $a := .Params.byline }}{{ $terms := .GetTerms "authors" }}{{ range $i, $n := first 2 $a }}{{ if $i }}, {{ end }}{{ $url := "" }}{{ range $terms }}{{ if eq .Title $n }}{{ $url = .RelPermalink }}{{ end }}{{ end }}{{ with $url }}<a href="{{ . }}">{{ $n }}</a>{{ else }}{{ $n }}{{ end }}{{ end }}{{ if gt (len $a) 2 }} + {{ sub (len $a) 2 }} more{{ end }}"""
LINKS = """<ul class="links" aria-label="Links">
<li><a class="btn-link" data-kind="arxiv" href="https://arxiv.org/abs/{{ .Params.arxiv }}" rel="noopener">arXiv</a></li>
<li><a class="btn-link" data-kind="pdf" href="https://arxiv.org/pdf/{{ .Params.arxiv }}" rel="noopener">PDF</a></li>
{{ range $k, $v := .Params.links }}<li><a class="btn-link" data-kind="{{ $k }}" href="{{ $v }}" rel="noopener">{{ humanize $k }}</a></li>
{{ end }}</ul>"""
TAGS = """<ul class="tags" aria-label="Tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>"""

CARD = """{{ $num := .n }}{{ with .page }}<article class="card{{ if .Params.featured }} card-featured{{ end }}" id="paper-{{ .Params.arxiv }}">
<div class="card-body">
<div class="card-head">
<h2 class="card-title"><span class="card-num">{{ $num }}.</span> <a id="t-{{ .Params.arxiv }}" href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<span class="upvotes" title="{{ .Params.upvotes }} upvotes">{{ .Params.upvotes }}<span class="visually-hidden"> upvotes</span></span></div>
<div class="card-meta"><span class="card-top">{{ if .Params.featured }}<span class="badge badge-featured">Featured</span>{{ end }}</span><span class="authors">AUTHORS_SHORT</span><span class="dates"><span>Added <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 Jan 2006" }}</time></span><span>Published <time datetime="{{ time.Format "2006-01-02" .Params.published }}">{{ (time .Params.published).Format "2 Jan 2006" }}</time></span></span></div>
<p class="blurb blurb-note"><span class="visually-hidden">Curator’s note: </span>{{ .Plain | truncate 240 }}</p><div class="card-foot">
LINKS
TAGS</div>
</div>
</article>
{{ end }}""".replace("AUTHORS_SHORT", AUTHORS_SHORT).replace("LINKS", LINKS).replace("TAGS", TAGS)

ROW = """<li class="row" id="paper-{{ .Params.arxiv }}"><h2 class="row-title"><a id="t-{{ .Params.arxiv }}" href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p class="meta"><span class="authors">AUTHORS_SHORT</span> <time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 Jan 2006" }}</time> <span class="upvotes">{{ .Params.upvotes }}<span class="visually-hidden"> upvotes</span></span></p>{{ with .Params.tldr }}<p class="blurb">{{ . }}</p>{{ end }}</li>
""".replace("AUTHORS_SHORT", AUTHORS_SHORT)

ABSTRACT = """{{ .RenderString (dict "display" "block") .Params.abstract }}"""

# one feed entry's HTML, as digestgen's paper feeds carry it: meta, note, abstract
ITEM = """<p><em>{{ delimit .Params.byline ", " }}</em></p>
<p>Added {{ .Date.Format "2006-01-02" }} · published {{ time.Format "2006-01-02" .Params.published }}</p>
<p><a href="https://arxiv.org/abs/{{ .Params.arxiv }}">arXiv</a> · <a href="https://arxiv.org/pdf/{{ .Params.arxiv }}">PDF</a>{{ range $k, $v := .Params.links }} · <a href="{{ $v }}">{{ humanize $k }}</a>{{ end }}</p>
{{ with .Params.tldr }}<p><strong>TL;DR:</strong> {{ . }}</p>{{ end }}
<h3>Curator’s note</h3>{{ .Content }}
<h3>Abstract</h3>{{ partialCached "abstract.html" . .RelPermalink }}"""

# one paper inside an issue's feed entry: title, meta, the note
ISSUE_ITEM = """<h2><a href="{{ .Permalink }}">{{ .Title }}</a></h2>
<p><em>{{ delimit .Params.byline ", " }}</em></p>
<p><a href="https://arxiv.org/abs/{{ .Params.arxiv }}">arXiv</a> · <a href="https://arxiv.org/pdf/{{ .Params.arxiv }}">PDF</a></p>
{{ with .Params.tldr }}<p><strong>TL;DR:</strong> {{ . }}</p>{{ end }}
{{ .Content }}"""

BIBTEX = """{{ $first := index .Params.byline 0 }}{{ $names := split $first " " }}{{ $words := split .Title " " }}@misc{ {{- index $names (sub (len $names) 1) | lower }}{{ .Date.Format "2006" }}{{ index $words 0 | lower -}},
  title = { {{- printf "{%s}" .Title -}} },
  author = { {{- delimit .Params.byline " and " -}} },
  year = { {{- (time .Params.published).Format "2006" -}} },
  month = {{ (time .Params.published).Format "Jan" | lower }},
  eprint = { {{- .Params.arxiv -}} },
  archivePrefix = {arXiv},
  url = {https://arxiv.org/abs/{{ .Params.arxiv }}}
}
"""

RIS = """{{ $p := time .Params.published }}TY  - PREP
TI  - {{ .Title }}
{{ range .Params.byline }}{{ $n := split . " " }}AU  - {{ index $n (sub (len $n) 1) }}, {{ delimit (first (sub (len $n) 1) $n) " " }}
{{ end }}PY  - {{ $p.Format "2006" }}
DA  - {{ $p.Format "2006/01/02" }}/
PB  - arXiv
M1  - arXiv:{{ .Params.arxiv }}
UR  - https://arxiv.org/abs/{{ .Params.arxiv }}
{{ range .Params.tags }}KW  - {{ . }}
{{ end }}ER  - 
"""

CSL = """{{ $p := time .Params.published }}{{ $authors := slice }}{{ range .Params.byline }}{{ $n := split . " " }}{{ $authors = $authors | append (dict "family" (index $n (sub (len $n) 1)) "given" (delimit (first (sub (len $n) 1) $n) " ")) }}{{ end -}}
{{ dict "id" .Params.arxiv "type" "article" "title" .Title "author" $authors "issued" (dict "date-parts" (slice (slice $p.Year (int $p.Month) $p.Day))) "genre" "Preprint" "publisher" "arXiv" "number" (printf "arXiv:%s" .Params.arxiv) "URL" (printf "https://arxiv.org/abs/%s" .Params.arxiv) "keyword" (delimit .Params.tags ", ") | jsonify (dict "noHTMLEscape" true) }}"""

RECORD = """{{ $issue := index (.GetTerms "issues") 0 -}}
{{ dict "id" .Params.arxiv "url" .Permalink "title" .Title "authors" .Params.byline "date" (.Date.Format "2006-01-02") "published" (time.Format "2006-01-02" .Params.published) "issue" $issue.Data.Term "issue_url" $issue.Permalink "arxiv" .Params.arxiv "doi" nil "tldr" .Params.tldr "note" .RawContent "tags" .Params.tags "upvotes" .Params.upvotes "featured" (.Params.featured | default false) "links" (merge (dict "arxiv" (printf "https://arxiv.org/abs/%s" .Params.arxiv) "pdf" (printf "https://arxiv.org/pdf/%s" .Params.arxiv)) (.Params.links | default dict)) "image" nil "image_alt" nil "submitted_by" nil "bibtex_url" (printf "%sindex.bib" .Permalink) | jsonify (dict "noHTMLEscape" true) }}"""

LLMS_LINE = """- [{{ .Title }}]({{ .Permalink }}): {{ .Params.tldr }} (arXiv {{ .Params.arxiv }}, featured {{ .Date.Format "2006-01-02" }})
"""

RELATED = """{{ with site.RegularPages.Related . | first 5 }}<section class="panel" aria-labelledby="related-heading">
<h2 id="related-heading">Related papers</h2>
<ul class="related-list">
{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><span class="meta">{{ index .Params.byline 0 }} et al.</span></li>
{{ end }}</ul>
</section>{{ end }}"""

SINGLE = """{{ define "head" }}{{ $p := time .Params.published -}}
<meta name="citation_title" content="{{ .Title }}">
{{ range .Params.byline }}{{ $n := split . " " }}<meta name="citation_author" content="{{ index $n (sub (len $n) 1) }}, {{ delimit (first (sub (len $n) 1) $n) " " }}">
{{ end }}<meta name="citation_publication_date" content="{{ $p.Format "2006/01/02" }}">
<meta name="citation_arxiv_id" content="{{ .Params.arxiv }}">
<meta name="citation_technical_report_number" content="arXiv:{{ .Params.arxiv }}">
<meta name="citation_publisher" content="arXiv">
<meta name="DC.type" content="preprint">
<meta name="citation_pdf_url" content="https://arxiv.org/pdf/{{ .Params.arxiv }}">
<meta name="citation_abstract_html_url" content="{{ .Permalink }}">
{{ range .Params.tags }}<meta name="citation_keywords" content="{{ . }}">
{{ end }}{{ end }}
{{ define "main" }}{{ $issue := index (.GetTerms "issues") 0 }}<div class="paper-layout">
<article class="paper">
<header class="paper-head">
<p class="eyebrow">In <a href="{{ $issue.RelPermalink }}">{{ $issue.Title }}</a></p>
<h1>{{ .Title }}</h1>
<p class="authors-full">{{ delimit .Params.byline ", " }}</p><dl class="facts">
<div><dt>Added</dt><dd><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 Jan 2006" }}</time></dd></div>
<div><dt>Published</dt><dd><time datetime="{{ time.Format "2006-01-02" .Params.published }}">{{ (time .Params.published).Format "2 Jan 2006" }}</time></dd></div><div><dt>Upvotes</dt><dd>{{ .Params.upvotes }}</dd></div><div><dt>arXiv</dt><dd>{{ .Params.arxiv }}</dd></div></dl>
LINKS
TAGS</header>
{{ with .Params.tldr }}<p class="lead tldr-lead">{{ . }}</p>{{ end }}<section class="paper-section note-section" aria-labelledby="note-heading">
<h2 id="note-heading">Curator’s note</h2>
<div class="prose">{{ .Content }}</div>
</section>
<section class="paper-section" aria-labelledby="abstract-heading">
<h2 id="abstract-heading">Abstract</h2>
<div class="prose">{{ partialCached "abstract.html" . .RelPermalink }}</div>
</section>
<section class="paper-section cite" aria-labelledby="cite-heading">
<div class="cite-head"><h2 id="cite-heading">Cite</h2>
<button class="copy-button" type="button" data-copy="bibtex-{{ .Params.arxiv }}" hidden>Copy BibTeX</button></div>
<pre class="bibtex" id="bibtex-{{ .Params.arxiv }}" tabindex="0" aria-label="BibTeX entry"><code>{{ partialCached "bibtex.txt" . .RelPermalink }}</code></pre>
<p class="copy-status" role="status" aria-live="polite"></p>
<p class="cite-files">Download: {{ range slice "bib" "ris" "csl" }}{{ with $.OutputFormats.Get . }}<a href="{{ .RelPermalink }}" download>{{ .Name }}</a> {{ end }}{{ end }}</p>
</section>
</article>
<aside class="paper-side">
<section class="panel" aria-labelledby="featured-in-heading">
<h2 id="featured-in-heading">Appears in</h2>
<p><a href="{{ $issue.RelPermalink }}">{{ $issue.Title }}</a></p>
</section>
RELATED
</aside>
</div>{{ end }}
""".replace("LINKS", LINKS.replace('class="links"', 'class="links links-large"')).replace("TAGS", TAGS)
SINGLE_WITH_RELATED = SINGLE.replace("RELATED", RELATED)
SINGLE_WITHOUT_RELATED = SINGLE.replace("RELATED", "")

# issue and tag pages (terms), with their citation bundles
TERM = """{{ define "main" }}{{ if .Params.letter }}{{ partial "authors-index.html" . }}{{ else if eq .Data.Plural "issues" }}{{ $all := site.Taxonomies.issues.Alphabetical }}{{ $here := .Path }}{{ $prev := false }}{{ $next := false }}{{ range $i, $t := $all }}{{ if eq $t.Page.Path $here }}{{ if $i }}{{ $prev = index $all (sub $i 1) }}{{ end }}{{ if lt (add $i 1) (len $all) }}{{ $next = index $all (add $i 1) }}{{ end }}{{ end }}{{ end -}}
<div class="layout">
<nav class="datenav" aria-label="Issues by date">
{{ with $prev }}<a class="datenav-step datenav-prev" href="{{ .Page.RelPermalink }}"><span class="datenav-dir">← Older</span> <span class="datenav-label">{{ .Page.Title }}</span></a>{{ end }}
<details class="datenav-jump"><summary>{{ .Params.start | time.Format "January 2006" }}</summary>
<div class="datenav-panel"><p class="datenav-all"><a href="/issues/">All issues</a></p>
{{ partialCached "years.html" . }}</div></details>
{{ with $next }}<a class="datenav-step datenav-next" href="{{ .Page.RelPermalink }}"><span class="datenav-dir">Newer →</span> <span class="datenav-label">{{ .Page.Title }}</span></a>{{ end }}
</nav>
<div class="layout-main">
<header class="issue-head"><p class="eyebrow">{{ len .Pages }} papers</p><h1>{{ .Title }}</h1></header>
<details class="toc-fold"><summary>In this issue <span class="meta">{{ len .Pages }} papers</span></summary>
<ol class="toc-list">{{ range .Pages.ByDate.Reverse }}<li><a href="#paper-{{ .Params.arxiv }}">{{ .Title }}</a></li>
{{ end }}</ol></details>
{{ range $i, $p := .Pages.ByDate.Reverse }}{{ partialCached "card.html" (dict "page" $p "n" (add $i 1)) $p.RelPermalink }}{{ end }}
<p class="cite-files">Cite this issue: {{ range slice "bib" "ris" "csl" }}{{ with $.OutputFormats.Get . }}<a href="{{ .RelPermalink }}" download>{{ .Name }}</a> {{ end }}{{ end }}</p>
<nav class="pager" aria-label="Issues">
{{ with $prev }}<a class="pager-prev" rel="prev" href="{{ .Page.RelPermalink }}"><span class="pager-dir">← Previous issue</span><span class="pager-label">{{ .Page.Title }}</span></a>{{ end }}{{ with $next }}<a class="pager-next" rel="next" href="{{ .Page.RelPermalink }}"><span class="pager-dir">Next issue →</span><span class="pager-label">{{ .Page.Title }}</span></a>{{ end }}</nav>
</div>
<aside class="layout-side"><section class="panel"><h2>In this issue</h2><ol class="toc-list">{{ range .Pages.ByDate.Reverse }}<li><a href="#paper-{{ .Params.arxiv }}">{{ .Title }}</a></li>
{{ end }}</ol></section>
<section class="panel subscribe"><h2>Subscribe</h2><ul class="feed-list"><li><a href="/feed.xml">Atom feed</a></li><li><a href="/rss.xml">RSS</a></li><li><a href="/feed.json">JSON Feed</a></li><li><a href="/papers/feed.xml">Every paper (Atom)</a></li></ul></section></aside>
</div>
{{ else }}{{ $pager := .Paginate .Pages.ByDate.Reverse }}{{ $index := .Parent -}}
<div class="layout layout-narrow">
<div class="layout-main">
<div class="page-head">
<p class="eyebrow"><a href="{{ $index.RelPermalink }}">{{ $index.Title }}</a> · {{ len .Pages }} papers · page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}</p>
<h1>{{ .Title }}</h1>
{{ with .OutputFormats.Get "atom" }}<p class="feed-hint"><a href="{{ .RelPermalink }}">Follow {{ $.Title }} (Atom feed)</a></p>
{{ end }}{{ with .OutputFormats.Get "bib" }}<p class="cite-files">Cite these papers: <a href="{{ .RelPermalink }}" download>BibTeX</a></p>
{{ end }}</div>
<ol class="rows" aria-label="Papers {{ if eq .Data.Plural "tags" }}tagged{{ else }}by{{ end }} {{ .Title }}">
{{ range $pager.Pages }}{{ partialCached "row.html" . .RelPermalink }}{{ end }}</ol>
<nav class="pager" aria-label="Pages">
{{ with $pager.Prev }}<a class="pager-prev" rel="prev" href="{{ .URL }}"><span class="pager-dir">← Newer</span><span class="pager-label">Page {{ .PageNumber }}</span></a>{{ end }}{{ with $pager.Next }}<a class="pager-next" rel="next" href="{{ .URL }}"><span class="pager-dir">Older →</span><span class="pager-label">Page {{ .PageNumber }}</span></a>{{ end }}</nav>
</div>
</div>
{{ end }}{{ end }}
"""

# the archive (issues grouped by year, each with its first paper titles) and the tag index
TAXONOMY = """{{ define "main" }}{{ if eq .Data.Plural "authors" }}{{ partial "authors-index.html" . }}{{ else }}<h1>{{ .Title }}</h1>
{{ if eq .Data.Plural "issues" }}{{ range .Pages.GroupByParam "year" }}<section id="year-{{ .Key }}"><h2>{{ .Key }}</h2><ol class="archive-list">
{{ range .Pages.ByTitle.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <span class="meta">{{ len .Pages }} papers</span><ul class="archive-titles">{{ range first 3 .Pages.ByDate.Reverse }}<li>{{ .Title }}</li>{{ end }}</ul></li>
{{ end }}</ol></section>
{{ end }}{{ else }}<ul class="tag-cloud">{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> <span class="meta">{{ .Count }}</span></li>
{{ end }}</ul>{{ end }}{{ end }}{{ end }}
"""

# authors with a page, A-Z by family name, in groups by its first letter (folded to ASCII as
# digestgen's slugs: Hugo's removePathAccents folds é, and site.Params.fold the letters it keeps)
PEOPLE = """{{ $people := slice }}{{ range site.Taxonomies.authors }}{{ $n := split .Page.LinkTitle " " }}{{ $family := index $n (sub (len $n) 1) | urlize | urls.PathUnescape }}{{ $l := substr $family 0 1 }}{{ $l = index site.Params.fold $l | default $l }}{{ $people = $people | append (dict "key" (printf "%s %s" $family (.Page.LinkTitle | urlize | urls.PathUnescape)) "letter" (upper $l) "name" .Page.LinkTitle "url" .Page.RelPermalink "count" .Count) }}{{ end -}}
{{ $groups := slice }}{{ $letter := "" }}{{ $members := slice }}{{ range sort $people "key" }}{{ if ne .letter $letter }}{{ if $letter }}{{ $groups = $groups | append (dict "letter" $letter "people" $members) }}{{ end }}{{ $letter = .letter }}{{ $members = slice }}{{ end }}{{ $members = $members | append . }}{{ end }}{{ if $letter }}{{ $groups = $groups | append (dict "letter" $letter "people" $members) }}{{ end }}{{ return dict "count" (len $people) "groups" $groups }}"""

# the index of authors (/authors/) and, past AUTHOR_INDEX_MAX of them, a page per letter
AUTHORS_INDEX = """{{ $here := .Params.letter | default "" }}{{ $people := partialCached "people.html" "all" }}{{ $split := gt $people.count AUTHOR_INDEX_MAX -}}
<div class="page-head">
{{ with $here }}<p class="eyebrow"><a href="/authors/">Authors</a></p><h1>Authors: {{ . }}</h1>{{ else }}<h1>Authors</h1>{{ end }}
<p class="lead">{{ $people.count }} authors to follow, each with a page and a feed of their papers (the authors of AUTHOR_PAGE_MIN or more papers here).</p>
</div>
<nav class="year-bar letter-bar" aria-label="Letters">
<ul>{{ range $people.groups }}<li><a href="{{ if $split }}/authors/{{ lower .letter }}/{{ else }}#letter-{{ lower .letter }}{{ end }}"{{ if eq .letter $here }} aria-current="page"{{ end }}>{{ .letter }}<span class="visually-hidden"> ({{ len .people }} author{{ if ne (len .people) 1 }}s{{ end }})</span></a></li>{{ end }}</ul>
</nav>
{{ range $people.groups }}{{ if or (not $split) (eq .letter $here) }}<section class="author-letter" aria-labelledby="letter-{{ lower .letter }}">
<h2 id="letter-{{ lower .letter }}">{{ .letter }}</h2>
<ul class="author-index">
{{ range .people }}<li><a href="{{ .url }}">{{ .name }}</a> <span class="count">{{ .count }}<span class="visually-hidden"> papers</span></span></li>
{{ end }}</ul>
</section>
{{ end }}{{ end }}"""

HOME = """{{ define "main" }}{{ $issues := site.Taxonomies.issues.Alphabetical.Reverse }}{{ $latest := index $issues 0 }}
<section class="latest"><p class="eyebrow">Latest issue</p><h1><a href="{{ $latest.Page.RelPermalink }}">{{ $latest.Page.Title }}</a></h1>
{{ range $i, $p := $latest.Pages.ByDate.Reverse }}{{ partialCached "card.html" (dict "page" $p "n" (add $i 1)) $p.RelPermalink }}{{ end }}</section>
<section class="earlier"><h2>Earlier issues</h2>{{ range after 1 (first 6 $issues) }}<article class="teaser"><h3><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a></h3><p class="meta">{{ .Count }} papers</p><ul>{{ range first 3 .Pages.ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></article>
{{ end }}<p><a href="/issues/">All issues</a></p></section>{{ end }}
"""

PLAIN = """{{ define "main" }}<article class="page"><h1>{{ .Title }}</h1><div class="prose">{{ .Content }}</div></article>{{ end }}
"""

# the reading list: a page whose script fills it from the browser's storage and the index of
# papers (an output format of the page); the theme's service worker is a static file beside it
READING_LIST = """{{ define "head" }}<script src="/assets/reading-list.js" defer></script>
{{ end }}{{ define "main" }}<div class="layout layout-narrow">
<div class="layout-main reading-list">
<div class="page-head">
<h1 id="rl-heading" tabindex="-1">Reading list</h1>
<p class="lead">Papers you starred, kept in this browser only: no account, and nothing leaves your device unless you export or share it.</p>
</div>
<noscript><p class="notice">The reading list is kept by your browser and needs JavaScript. Without it, browse the <a href="/issues/">archive</a> or the <a href="/tags/">tags</a>.</p></noscript>
<div id="rl" data-index="{{ with .OutputFormats.Get "rlindex" }}{{ .RelPermalink }}{{ end }}" data-base="/" data-worker="{{ .RelPermalink }}sw.js" hidden>
<section class="panel rl-import" id="rl-import" aria-labelledby="rl-import-heading" tabindex="-1" hidden>
<h2 id="rl-import-heading">A shared reading list</h2>
<p id="rl-import-summary"></p>
<ul class="rl-import-list" id="rl-import-list"></ul>
<p class="rl-actions"><button type="button" id="rl-import-add">Add these to my list</button> <button type="button" class="button-quiet" id="rl-import-dismiss">Not now</button></p>
</section>
<div class="rl-tools" id="rl-tools" hidden>
<p class="rl-actions"><button type="button" class="button-quiet" data-export="bib">Export BibTeX</button> <button type="button" class="button-quiet" data-export="ris">Export RIS</button></p>
<div class="rl-share">
<label for="rl-share-url">Link to this list (opens it in another browser)</label>
<div class="field-row"><input id="rl-share-url" type="url" readonly><button type="button" class="button-quiet" id="rl-copy">Copy link</button></div>
</div>
</div>
<p class="rl-status"><span id="rl-status" role="status"></span> <button type="button" class="button-quiet" id="rl-undo" hidden>Undo</button></p>
<p class="rl-empty" id="rl-empty" hidden>Nothing here yet. Press the star beside a paper’s title on any issue, tag or paper page to keep it here.</p>
<section id="rl-unread-section" aria-labelledby="rl-unread-heading" hidden>
<h2 id="rl-unread-heading">To read <span class="count" id="rl-unread-count"></span></h2>
<div class="cards" id="rl-unread"></div>
</section>
<section id="rl-read-section" aria-labelledby="rl-read-heading" hidden>
<h2 id="rl-read-heading">Read <span class="count" id="rl-read-count"></span></h2>
<div class="cards" id="rl-read"></div>
</section>
</div>
</div>
</div>
{{ end }}
"""
READING_LIST_INDEX = """{{ $tags := dict }}{{ range site.Taxonomies.tags.Alphabetical }}{{ $tags = merge $tags (dict .Name .Page.LinkTitle) }}{{ end -}}
{"version":1,"tags":{{ $tags | jsonify (dict "noHTMLEscape" true) }},"papers":[
{{ range $i, $p := (where site.RegularPages "Section" "papers").ByDate.Reverse }}{{ if $i }},
{{ end }}{{ partialCached "reading-list-record.json" $p $p.RelPermalink }}{{ end }}
]}
"""
READING_LIST_RECORD = """{{ $a := .Params.byline }}{{ dict "id" .Params.arxiv "title" .Title "date" (.Date.Format "2006-01-02") "authors" (first 3 $a) "more" (sub (len $a) (len (first 3 $a))) "tags" .Params.tags "arxiv" .Params.arxiv | jsonify (dict "noHTMLEscape" true) }}"""

NOT_FOUND = """{{ define "main" }}<h1>Page not found</h1><p>Try <a href="/issues/">the archive</a> or <a href="/tags/">the tags</a>.</p>{{ end }}
"""

# Atom: the issues (home), every paper (the papers section), a tag's papers (tag terms)
ATOM = """{{ $limit := site.Config.Services.RSS.Limit -}}
{{ printf "<?xml version='1.0' encoding='UTF-8'?>" | safeHTML }}
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <id>{{ .Permalink }}</id>
  <title>{{ site.Title }}{{ if not .IsHome }}: {{ .Title }}{{ end }}</title>
  <updated>{{ .Lastmod.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</updated>
  <author><name>{{ site.Title }}</name></author>
  <link href="{{ .Permalink }}feed.xml" rel="self" type="application/atom+xml"/>
  <link href="{{ .Permalink }}" rel="alternate" type="text/html"/>
  <generator>Hugo</generator>
{{ if .IsHome }}{{ range first $limit site.Taxonomies.issues.Alphabetical.Reverse }}  <entry>
    <id>{{ .Page.Permalink }}</id>
    <title>{{ .Page.Title }}</title>
    <updated>{{ .Page.Lastmod.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</updated>
    <link href="{{ .Page.Permalink }}" rel="alternate" type="text/html"/>
    <content type="html">{{ partialCached "issue-entry.html" .Page .Page.RelPermalink }}</content>
  </entry>
{{ end }}{{ else }}{{ range first $limit .Pages.ByDate.Reverse }}  <entry>
    <id>{{ .Permalink }}</id>
    <title>{{ .Title }}</title>
    <updated>{{ .Date.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</updated>
{{ range .Params.byline }}    <author><name>{{ . }}</name></author>
{{ end }}    <link href="{{ .Permalink }}" rel="alternate" type="text/html"/>
{{ if eq $.Data.Plural "authors" }}    <summary type="html">{{ .Params.tldr }}</summary>
{{ else }}    <content type="html">{{ partial "xml-text.html" (partialCached "item.html" . .RelPermalink) }}</content>
{{ range .GetTerms "tags" }}    <category term="{{ .Data.Term }}" scheme="{{ .Permalink }}" label="{{ .LinkTitle }}"/>
{{ end }}{{ end }}    <published>{{ .Date.Format "2006-01-02T15:04:05-07:00" | safeHTML }}</published>
  </entry>
{{ end }}{{ end }}</feed>
"""

# an issue's feed entry (its list and each paper's part), escaped once for Atom and RSS
ISSUE_HTML = """{{ $html := "" }}{{ range .Pages.ByDate.Reverse }}{{ $html = printf "%s%s\\n" $html (partialCached "issue-item.html" . .RelPermalink) }}{{ end }}{{ return $html }}"""
ISSUE_ENTRY = """{{ partial "xml-text.html" (partialCached "issue-html.html" . .RelPermalink) }}"""
# HTML as the text of an XML element: only &, < and > escaped (transform.XMLEscape also writes
# every quote as &#34; and every newline as &#xA;, a tenth more bytes in a feed)
XML_TEXT = """{{ replace (replace (replace . "&" "&amp;") "<" "&lt;") ">" "&gt;" | safeHTML }}"""

RSS = """{{ $limit := site.Config.Services.RSS.Limit -}}
{{ printf "<?xml version='1.0' encoding='UTF-8'?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ site.Title }}</title>
<link>{{ site.Home.Permalink }}</link>
<description>{{ site.Params.description }}</description>
<language>en</language>
<atom:link href="{{ .Permalink }}rss.xml" rel="self" type="application/rss+xml"/>
{{ range first $limit site.Taxonomies.issues.Alphabetical.Reverse }}<item>
<title>{{ .Page.Title }}</title>
<link>{{ .Page.Permalink }}</link>
<guid>{{ .Page.Permalink }}</guid>
<pubDate>{{ .Page.Lastmod.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
<description>{{ partialCached "issue-entry.html" .Page .Page.RelPermalink }}</description>
</item>
{{ end }}</channel>
</rss>
"""

JSONFEED = """{{ $items := slice }}{{ range first site.Config.Services.RSS.Limit site.Taxonomies.issues.Alphabetical.Reverse }}{{ $date := .Page.Lastmod.Format "2006-01-02T15:04:05Z07:00" }}{{ $items = $items | append (dict "id" .Page.Permalink "url" .Page.Permalink "title" .Page.Title "content_html" (partialCached "issue-html.html" .Page .Page.RelPermalink) "summary" (printf "%d papers: %s" .Count (delimit (apply .Pages.ByDate.Reverse "partial" "title.html" ".") "; ")) "date_published" $date "date_modified" $date) }}{{ end -}}
{{ dict "version" "https://jsonfeed.org/version/1.1" "title" site.Title "home_page_url" site.Home.Permalink "feed_url" (printf "%sfeed.json" site.Home.Permalink) "description" site.Params.description "language" "en" "authors" (slice (dict "name" site.Title)) "items" $items | jsonify (dict "noHTMLEscape" true) }}
"""

OPML = """{{ printf "<?xml version='1.0' encoding='UTF-8'?>" | safeHTML }}
<opml version="2.0">
  <head><title>{{ site.Title }}: feeds</title></head>
  <body>
    <outline type="rss" text="{{ site.Title }}" title="{{ site.Title }}" xmlUrl="{{ site.Home.Permalink }}feed.xml" htmlUrl="{{ site.Home.Permalink }}" />
    <outline type="rss" text="{{ site.Title }}: every paper" title="{{ site.Title }}: every paper" xmlUrl="{{ site.Home.Permalink }}papers/feed.xml" htmlUrl="{{ site.Home.Permalink }}" />
    <outline text="{{ site.Title }}: tags" title="{{ site.Title }}: tags">
{{ range site.Taxonomies.tags.Alphabetical }}      <outline type="rss" text="{{ site.Title }}: {{ .Page.LinkTitle }}" title="{{ site.Title }}: {{ .Page.LinkTitle }}" xmlUrl="{{ .Page.Permalink }}feed.xml" htmlUrl="{{ .Page.Permalink }}" />
{{ end }}    </outline>
    <outline text="{{ site.Title }}: authors" title="{{ site.Title }}: authors">
{{ range site.Taxonomies.authors.Alphabetical }}      <outline type="rss" text="{{ site.Title }}: {{ .Page.LinkTitle }}" title="{{ site.Title }}: {{ .Page.LinkTitle }}" xmlUrl="{{ .Page.Permalink }}feed.xml" htmlUrl="{{ .Page.Permalink }}" />
{{ end }}    </outline>
  </body>
</opml>
"""

PAPERS_JSON = """{{ $tags := dict }}{{ range site.Taxonomies.tags.Alphabetical }}{{ $tags = merge $tags (dict .Name (dict "name" .Page.LinkTitle "description" nil "count" .Count)) }}{{ end -}}
{"version":2,"title":{{ site.Title | jsonify }},"home_page_url":{{ site.Home.Permalink | jsonify }},"updated":{{ site.Lastmod.Format "2006-01-02" | jsonify }},"tags":{{ $tags | jsonify }},"papers":[
{{ range $i, $p := (where site.RegularPages "Section" "papers").ByDate.Reverse }}{{ if $i }},
{{ end }}{{ partialCached "record.json" $p $p.RelPermalink }}{{ end }}
]}
"""

LLMS = """# {{ site.Title }}

> {{ site.Params.description }}

A curated digest of research papers published in weekly issues. Every paper has its own page with authors, links, abstract, the curator's note and a BibTeX entry.

## Data

- [papers.json]({{ site.Home.Permalink }}papers.json): every paper as JSON
- [Atom feed of issues]({{ site.Home.Permalink }}feed.xml): one entry per issue with the full text
- [Atom feed of papers]({{ site.Home.Permalink }}papers/feed.xml): one entry per paper

## Issues
{{ range site.Taxonomies.issues.Alphabetical.Reverse }}
### [{{ .Page.Title }}]({{ .Page.Permalink }})

{{ range .Pages.ByDate.Reverse }}{{ partialCached "llms-line.txt" . .RelPermalink }}{{ end }}{{ end }}"""

ROBOTS = """User-agent: *
Allow: /

Sitemap: {{ site.Home.Permalink }}sitemap.xml
"""

# one line a page, with its date, as digestgen's
SITEMAP = """{{ printf "<?xml version=\\"1.0\\" encoding=\\"UTF-8\\"?>" | safeHTML }}
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{{ range .Pages }}{{ if not .Sitemap.Disable }}  <url><loc>{{ .Permalink }}</loc><lastmod>{{ .Lastmod.Format "2006-01-02" }}</lastmod></url>
{{ end }}{{ end }}</urlset>
"""

# citation files: one paper (page kind) or the bundle of an issue or a tag (term kind)
BIB_FILE = """{{ if .IsPage }}{{ partialCached "bibtex.txt" . .RelPermalink }}{{ else }}{{ range $i, $p := .Pages.ByDate.Reverse }}{{ if $i }}
{{ end }}{{ partialCached "bibtex.txt" $p $p.RelPermalink }}{{ end }}{{ end }}"""
RIS_FILE = """{{ if .IsPage }}{{ partialCached "ris.txt" . .RelPermalink }}{{ else }}{{ range $i, $p := .Pages.ByDate.Reverse }}{{ if $i }}
{{ end }}{{ partialCached "ris.txt" $p $p.RelPermalink }}{{ end }}{{ end }}"""
CSL_FILE = """[
{{ if .IsPage }}{{ partialCached "csl.json" . .RelPermalink }}{{ else }}{{ range $i, $p := .Pages.ByDate.Reverse }}{{ if $i }},
{{ end }}{{ partialCached "csl.json" $p $p.RelPermalink }}{{ end }}{{ end }}
]
"""

TITLE = """{{ return .Title }}"""

# a page's description: the tldr of a paper, the first titles of an issue, a tag's or an author's count
DESCRIPTION = """{{ $d := site.Params.description }}{{ if .IsPage }}{{ with .Params.tldr }}{{ $d = . }}{{ end }}{{ else if .Params.letter }}{{ $d = printf "%d authors of %s, each with a page and a feed of their papers." (partialCached "people.html" "all").count site.Title }}{{ else if eq .Kind "term" }}{{ if eq .Data.Plural "issues" }}{{ $d = printf "%d papers in %s: %s" (len .Pages) .Title (delimit (apply .Pages.ByDate.Reverse "partial" "title.html" ".") "; " | truncate 150) }}{{ else if eq .Data.Plural "tags" }}{{ $d = printf "%d papers tagged %s in %s." (len .Pages) .Title site.Title }}{{ else }}{{ $d = printf "%d papers by %s in %s." (len .Pages) .Title site.Title }}{{ end }}{{ end }}{{ return $d }}"""

# the years of the archive, for the navigator on every issue page (rendered once)
YEARS = """<ul class="datenav-years">
{{ range (site.GetPage "/issues").Pages.GroupByParam "year" }}{{ $year := .Key }}<li><a class="datenav-year" href="/issues/#year-{{ $year }}">{{ $year }}</a><ul class="datenav-months">{{ range .Pages.GroupByParam "month" "asc" }}{{ $start := time (index .Pages 0).Params.start }}<li class="c{{ $start.Month | int }}"><a href="/issues/#month-{{ $year }}-{{ $start.Month | int }}"><span aria-hidden="true">{{ $start.Format "Jan" }}</span><span class="visually-hidden">{{ $start.Format "January 2006" }}</span></a></li>{{ end }}</ul></li>
{{ end }}</ul>"""



def layouts(related: bool = True) -> dict[str, str]:
    """Template files by path under layouts/ (Hugo's template lookup since 0.146)."""
    return {
        "baseof.html": BASEOF,
        "home.html": HOME,
        "page.html": SINGLE_WITH_RELATED if related else SINGLE_WITHOUT_RELATED,
        "term.html": TERM,
        "taxonomy.html": TAXONOMY,
        "plain/page.html": PLAIN,
        "readinglist/page.html": READING_LIST,
        "readinglist/page.rlindex.json": READING_LIST_INDEX,
        "_partials/reading-list-record.json": READING_LIST_RECORD,
        "404.html": NOT_FOUND,
        "home.atom.xml": ATOM,
        "section.atom.xml": ATOM,
        "term.atom.xml": ATOM,
        "home.rss.xml": RSS,
        "home.jsonfeed.json": JSONFEED,
        "home.opml.opml": OPML,
        "home.papers.json": PAPERS_JSON,
        "home.llms.txt": LLMS,
        "robots.txt": ROBOTS,
        "sitemap.xml": SITEMAP,
        "page.bib.bib": BIB_FILE,
        "term.bib.bib": BIB_FILE,
        "page.ris.ris": RIS_FILE,
        "term.ris.ris": RIS_FILE,
        "page.csl.json": CSL_FILE,
        "term.csl.json": CSL_FILE,
        "_markup/render-passthrough.html": MATH,
        "_partials/card.html": CARD, "_partials/row.html": ROW, "_partials/abstract.html": ABSTRACT, "_partials/item.html": ITEM,
        "_partials/issue-item.html": ISSUE_ITEM, "_partials/issue-entry.html": ISSUE_ENTRY,
        "_partials/issue-html.html": ISSUE_HTML, "_partials/title.html": TITLE, "_partials/people.html": PEOPLE,
        "_partials/authors-index.html": AUTHORS_INDEX.replace("AUTHOR_INDEX_MAX", str(AUTHOR_INDEX_MAX)).replace(
            "AUTHOR_PAGE_MIN", str(AUTHOR_PAGE_MIN)), "_partials/description.html": DESCRIPTION,
        "_partials/xml-text.html": XML_TEXT,
        "_partials/bibtex.txt": BIBTEX, "_partials/ris.txt": RIS, "_partials/csl.json": CSL,
        "_partials/record.json": RECORD, "_partials/llms-line.txt": LLMS_LINE,
        "_partials/years.html": YEARS,
    }


def write_layouts(dest: Path, related: bool = True) -> None:
    """(Re)write the site's templates: with or without the related papers on paper pages."""
    root = dest / "layouts"
    if root.exists():
        shutil.rmtree(root)
    for rel, text in layouts(related).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")


def issue_title(key: str) -> tuple[str, dt.date, dt.date]:
    """'Week 14 · 31 Mar – 6 Apr 2008', its Monday and its Sunday, for an ISO week key."""
    year, week = key.split("-W")
    start = dt.date.fromisocalendar(int(year), int(week), 1)
    end = start + dt.timedelta(days=6)
    if start.month == end.month:
        span = f"{start.day}–{end.day} {end:%b %Y}"
    elif start.year == end.year:
        span = f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    else:
        span = f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    return f"Week {int(week)} · {span}", start, end


def theme_assets() -> Path | None:
    """digestgen's default theme's static files (stylesheet, script, icon), if found."""
    for place in (Path(__file__).resolve().parent.parent / "themes" / "default" / "static",):
        if place.is_dir():
            return place
    return None


def initial(name: str) -> str:
    """The letter of an author's family name in the index, as PEOPLE computes it."""
    family = unicodedata.normalize("NFD", name.split(" ")[-1].lower())
    first = "".join(c for c in family if not unicodedata.combining(c))[:1]
    return FOLD.get(first, first)


def letter_pages(content: Path, names: list[str]) -> None:
    """A page per letter of the authors' index (terms of the authors taxonomy with no papers),
    when the index is too long for one page."""
    if len(names) <= AUTHOR_INDEX_MAX:
        return
    for letter in sorted({initial(name) for name in names}):
        folder = content / "authors" / letter
        folder.mkdir(parents=True)
        meta = {"title": f"Authors: {letter.upper()}", "letter": letter.upper(), "outputs": ["html"]}
        (folder / "_index.md").write_text("---\n" + json.dumps(meta) + "\n---\n", "utf-8")


def convert(source: Path, dest: Path, related: bool = True) -> int:
    """Write the Hugo site for the digest at source; return the number of papers."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    write_layouts(dest, related)
    (dest / "hugo.json").write_text(json.dumps(CONFIG, indent=1), "utf-8")
    assets = dest / "static" / "assets"
    assets.mkdir(parents=True)
    found = theme_assets()
    if found:
        for item in sorted(found.iterdir()):
            if item.is_file():
                shutil.copyfile(item, assets / item.name)
    content = dest / "content"
    (content / "papers").mkdir(parents=True)
    (content / "papers" / "_index.md").write_text('---\n{"title": "Papers"}\n---\n', "utf-8")
    (content / "about.md").write_text(
        '---\n{"title": "About", "type": "plain", "outputs": ["html"]}\n---\n\nA synthetic digest.\n', "utf-8"
    )
    (content / "reading-list.md").write_text(
        '---\n{"title": "Reading list", "type": "readinglist", "outputs": ["html", "rlindex"],'
        ' "sitemap": {"disable": true}}\n---\n', "utf-8"
    )
    worker = theme_assets()
    if worker and (worker.parent / "reading-list-sw.js").is_file():
        (dest / "static" / "reading-list").mkdir(parents=True)
        shutil.copyfile(worker.parent / "reading-list-sw.js", dest / "static" / "reading-list" / "sw.js")
    (content / "issues").mkdir()
    (content / "issues" / "_index.md").write_text('---\n{"title": "Archive"}\n---\n', "utf-8")
    issues: set[str] = set()
    entries = []
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
        entries.append((path, data, body))
    # as digestgen's default: an author with fewer papers than this has no page of their own
    papers_by = Counter(name for _, data, _ in entries for name in data["authors"])
    letter_pages(content, [name for name, n in papers_by.items() if n >= AUTHOR_PAGE_MIN])
    count = 0
    for path, data, body in entries:
        data["byline"] = data["authors"]
        data["authors"] = [name for name in data["byline"] if papers_by[name] >= AUTHOR_PAGE_MIN]
        day: dt.date = data["date"]
        week = day.isocalendar()
        key = f"{week[0]}-W{week[1]:02d}"
        issues.add(key)
        data["date"] = day.isoformat()
        data["published"] = data["published"].isoformat()
        data["issues"] = [key]
        out = content / "papers" / f"{path.stem}.md"
        out.write_text(
            "---\n" + json.dumps(data, ensure_ascii=False, indent=1) + "\n---\n\n" + body.strip() + "\n", "utf-8"
        )
        count += 1
    for key in sorted(issues):
        title, start, end = issue_title(key)
        # the url keeps the key's case (/issues/2008-W14/), as digestgen's; Hugo lowercases paths
        meta = {"title": title, "url": f"/issues/{key}/", "start": start.isoformat(), "end": end.isoformat(),
                "year": str(start.year), "month": f"{start.month:02d}"}
        (content / "issues" / key).mkdir()
        (content / "issues" / key / "_index.md").write_text(
            "---\n" + json.dumps(meta, ensure_ascii=False) + "\n---\n", "utf-8"
        )
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--no-related", dest="related", action="store_false", help="paper pages without related papers")
    args = parser.parse_args()
    print(f"wrote {convert(args.source, args.dest, args.related)} papers as a Hugo site into {args.dest}")


if __name__ == "__main__":
    main()
