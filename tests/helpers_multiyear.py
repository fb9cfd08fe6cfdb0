"""A digest spanning three calendar years (June 2024 to November 2026, 130 weekly issues),
written by a deterministic generator: the archive has the same month in several years, the
tags many papers each, the abstracts inline math, display math inside a sentence and an
equation of their own, and some papers one upvote.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

FIRST_WEEK = dt.date(2024, 6, 3)  # a Monday
WEEKS = 130  # two and a half years
EPOCH = str(int(dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc).timestamp()))
AUTHORS = ["Kari Ødegaard", "Jürgen Müller", "Martin Luther King Jr.", "Wei Zhang", "Ana María López",
           "Tri Dao", "Priya Raman", "Sven Larsen", "Yuki Tanaka", "Research and Development Team"]
TAGS = {"math": "Mathematics", "vision": "Vision", "agents": "Agents", "theory": "Theory"}
MATH = [r"a bound of $O(n \log n)$ on the number of steps",
        r"the loss $$\mathcal{L}(\theta) = \sum_i \ell_i(\theta)$$ over the training set",
        r"a rate of $\epsilon^{-2}$ when $\alpha \le 0.1$",
        r"the fixed point $x^\star = f(x^\star)$ of the update"]

# ORCID's own example iD (of a fictional person); the others get pages from their papers
AUTHORS_YAML = """kari-odegaard:
  name: Kari Ødegaard
  affiliation: Fjord Institute of Learning
  orcid: 0000-0002-1825-0097
  homepage: https://example.test/~kari
"""

SITE_YAML = """title: Three Years of Papers
description: A weekly digest that has run for three calendar years.
base_url: https://example.test/
language: en
timezone: UTC
cadence: weekly
per_page: 10
search: true
author: {name: Test Editors}
nav:
  - {title: About, url: /about/}
"""


def write_multi_year_site(dest: Path) -> Path:
    """Write the site into dest; return dest. Build it with SOURCE_DATE_EPOCH=EPOCH."""
    papers = dest / "content" / "papers"
    papers.mkdir(parents=True)
    (dest / "site.yaml").write_text(SITE_YAML, "utf-8")
    (dest / "content" / "pages").mkdir()
    (dest / "content" / "pages" / "about.md").write_text(
        "---\ntitle: About\n---\n\nOne or two papers a week since June 2024.\n", "utf-8")
    (dest / "content" / "tags.yaml").write_text(
        "".join(f"{slug}:\n  name: {name}\n" for slug, name in TAGS.items()), "utf-8")
    (dest / "content" / "authors.yaml").write_text(AUTHORS_YAML, "utf-8")
    slugs = list(TAGS)
    n = 0
    for week in range(WEEKS):
        monday = FIRST_WEEK + dt.timedelta(weeks=week)
        for extra in range(1 + (week % 3 == 0)):
            day = monday + dt.timedelta(days=1 + 2 * extra)
            arxiv = f"{day.year % 100:02d}{day.month:02d}.{10000 + n:05d}"
            authors = [AUTHORS[(n + k) % len(AUTHORS)] for k in range(1 + n % 4)]
            tags = sorted({slugs[n % 4], slugs[(n // 4) % 4]})
            text = "\n".join([
                "---",
                f'title: "Week {week + 1}, paper {extra + 1}: results on {MATH[n % 4].split()[1]} models"',
                f"date: {day.isoformat()}",
                "authors: [" + ", ".join(f'"{a}"' for a in authors) + "]",
                f'arxiv: "{arxiv}"',
                f"tags: [{', '.join(tags)}]",
                f"upvotes: {n % 7}",
                f"tldr: We study {MATH[(n + 1) % 4].split('$')[0].strip() or 'a method'} in week {week + 1}.",
                "abstract: |",
                f"  We prove {MATH[n % 4]} and compare with {MATH[(n + 2) % 4]}.",
                "",
                r"  $$\min_\theta \; \mathbb{E}_{x \sim p}\left[\ell(f_\theta(x))\right] + \lambda \|\theta\|^2$$",
                "---",
                "",
                f"Picked for week {week + 1}; see also {MATH[(n + 3) % 4]}.",
                "",
            ])
            (papers / f"{arxiv}.md").write_text(text, "utf-8")
            n += 1
    return dest
