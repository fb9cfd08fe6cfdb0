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

# The same files as examples/github/ in the digestgen repository (a test keeps them equal).
WORKFLOW = """\
# Check every pull request; build and publish the digest to GitHub Pages from main.
# One-time setup: Settings > Pages > Build and deployment > Source: "GitHub Actions".
name: digest

on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: "17 5 * * *"  # daily, so papers dated in the future appear on their day
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: digest-${{ github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 2  # a pull request's merge commit and its first parent, the base branch
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install digestgen
        run: pip install "digestgen>=0.1,<1"  # pin the version you use
      - name: Check the entries (errors and warnings appear on the pull request's files)
        # on a pull request, the job summary shows its papers as readers will see them
        run: digestgen check --strict --format github ${GITHUB_BASE_REF:+--since HEAD^1}

  deploy:
    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'
    needs: check
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install digestgen
        run: pip install "digestgen>=0.1,<1"
      - id: pages
        uses: actions/configure-pages@v5
      - name: Build
        run: digestgen build --base-url "${{ steps.pages.outputs.base_url }}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public
      - id: deployment
        uses: actions/deploy-pages@v4
"""

PULL_REQUEST_TEMPLATE = """\
## Add a paper

<!-- One paper per pull request keeps review quick. Start the entry with:
       digestgen new 2511.11002
     which fills title, authors, abstract and dates from arXiv. -->

**Paper:** <!-- arXiv id or link -->

**Why it belongs in this digest:** <!-- one or two sentences -->

### Checklist
- [ ] The entry is one new file under `content/papers/<year>/`, named after the arXiv id (or a short slug)
- [ ] `date` is the day it should appear (it picks the issue); `arxiv` is quoted, like `arxiv: "2511.11002"`
- [ ] Title, authors and abstract match the paper
- [ ] Tags come from `content/tags.yaml`
- [ ] A short note below the front matter says what is new and what to read first
- [ ] `digestgen check --strict` passes (CI runs it too) and `digestgen serve` shows the card as intended
"""

# --- readers suggest, a bot drafts, a curator merges (examples/github/ holds the same) ----

SUGGEST_FORM = """\
name: Suggest a paper
description: Tell the curators about a paper for the digest.
title: "Suggest: "
labels: [suggestion]
body:
  - type: markdown
    attributes:
      value: >-
        Thanks! A curator reads every suggestion. Once one labels it `accepted`, a bot opens
        a pull request that adds the paper, crediting you.
  - type: input
    id: paper
    attributes:
      label: arXiv id or link
      description: Like 2511.11002 or https://arxiv.org/abs/2511.11002
      placeholder: "2511.11002"
    validations:
      required: true
  - type: textarea
    id: reason
    attributes:
      label: Why it matters
      description: A few sentences for other readers (Markdown works). It becomes the paper's note.
    validations:
      required: true
  - type: input
    id: tags
    attributes:
      label: Tags
      description: Optional, comma-separated, from the digest's tag list (content/tags.yaml).
      placeholder: "transformers"
"""

# Runs when a curator adds the label `accepted`: a stranger's issue never starts it alone.
# Settings > Actions > General > "Allow GitHub Actions to create and approve pull requests".
SUGGEST_WORKFLOW = """\
# A curator labels a "Suggest a paper" issue `accepted`: digestgen writes the entry and this
# opens a pull request that closes the issue (or comments, for a duplicate or a bad answer).
name: suggest

on:
  issues:
    types: [labeled]

permissions: {}

concurrency:
  group: suggest-${{ github.event.issue.number }}
  cancel-in-progress: false

jobs:
  draft:
    name: Draft the pull request
    if: github.event.label.name == 'accepted' && github.event.issue.state == 'open'
    runs-on: ubuntu-latest
    permissions:
      contents: write  # push the entry's branch
      pull-requests: write  # open the pull request
      issues: write  # comment on the issue
    env:
      DIGESTGEN_SOURCE: "https://github.com/OWNER/digestgen@v0.1.0"  # where digestgen comes from
      NUMBER: ${{ github.event.issue.number }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065  # v5.6.0
        with:
          python-version: "3.12"
      - name: Install digestgen
        run: pip install "git+${DIGESTGEN_SOURCE}"
      - id: suggest
        name: Write the entry from the issue form and the arXiv API
        run: digestgen suggest --event "$GITHUB_EVENT_PATH"
      - name: Open the pull request
        if: steps.suggest.outputs.action == 'pr'
        env:
          GH_TOKEN: ${{ github.token }}
          BRANCH: ${{ steps.suggest.outputs.branch }}
          TITLE: ${{ steps.suggest.outputs.title }}
          BODY: ${{ steps.suggest.outputs.body }}
          ENTRY: ${{ steps.suggest.outputs.path }}
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git switch --create "$BRANCH"
          git add -- "$ENTRY"
          git commit --message "$TITLE"
          gh auth setup-git
          git push origin "$BRANCH"
          gh pr create --head "$BRANCH" --title "$TITLE" --body "$BODY"
      - name: Answer on the issue
        if: steps.suggest.outputs.action == 'comment'
        env:
          GH_TOKEN: ${{ github.token }}
          BODY: ${{ steps.suggest.outputs.body }}
          CLOSE: ${{ steps.suggest.outputs.close }}
        run: |
          gh issue comment "$NUMBER" --body "$BODY"
          if [ "$CLOSE" = true ]; then gh issue close "$NUMBER" --reason "not planned"; fi
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
        ".github/workflows/digest.yml": WORKFLOW,
        ".github/pull_request_template.md": PULL_REQUEST_TEMPLATE,
        ".github/ISSUE_TEMPLATE/suggest-paper.yml": SUGGEST_FORM,
        ".github/workflows/suggest.yml": SUGGEST_WORKFLOW,
    }
    written = []
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    return written
