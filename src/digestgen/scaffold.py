"""Files of a new site (digestgen init): settings, one example paper, an About page, CI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from digestgen.config import today_in

SITE_YAML = """\
# Site settings: see the digestgen README for every key.
title: {title}
description: A curated digest of research papers.
base_url: {base_url}
language: en
timezone: UTC
cadence: weekly
feeds:
  limit: 20
  full_content: true
per_page: 20
search: true
nav:
  - title: About
    url: /about/
"""

PAPER = """\
---
title: "Attention Is All You Need"
date: {today}
authors:
  - Ashish Vaswani
  - Noam Shazeer
  - Niki Parmar
  - Jakob Uszkoreit
  - Llion Jones
  - Aidan N. Gomez
  - Łukasz Kaiser
  - Illia Polosukhin
arxiv: "1706.03762"
published: 2017-06-12
tldr: Replaces recurrence with self-attention and starts the Transformer era.
tags: [transformers]
upvotes: 0
abstract: |
  Introduces the Transformer, a sequence model built only from attention and feed-forward
  layers; attention costs $O(n^2)$ in the sequence length but parallelises across positions.
---
Your note goes here: why this paper matters, what to read first. Markdown works,
including **emphasis**, [links](https://arxiv.org/abs/1706.03762) and $math$.
"""

ABOUT = """\
---
title: About
description: What this digest is and how papers are chosen.
---
This digest collects papers we think are worth your time. Suggest one by opening a pull
request that adds a file under `content/papers/`.
"""

TAGS = """\
transformers:
  name: Transformers
  description: Attention-based architectures.
"""


def write_new_site(target: Path, title: str, base_url: str) -> list[Path]:
    """Write a minimal, valid site into target; return the files written."""
    today = today_in(dt.timezone.utc)
    files = {
        "site.yaml": SITE_YAML.format(title=json.dumps(title), base_url=base_url),
        f"content/papers/{today.year}/1706.03762.md": PAPER.format(today=today.isoformat()),
        "content/pages/about.md": ABOUT,
        "content/tags.yaml": TAGS,
        "static/.gitkeep": "",
        ".gitignore": "public/\n.public.*\n.digestgen-cache/\n",
    }
    written = []
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    return written
