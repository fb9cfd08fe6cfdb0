"""Files of a new site (digestgen init): settings, one example paper, an About page, CI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from digestgen import REPOSITORY, __version__
from digestgen.config import today_in

SITE_YAML = """\
# Site settings; `digestgen schema site` lists every key.
title: {title}
description: A curated digest of research papers.
base_url: {base_url}
language: en
timezone: UTC
cadence: weekly
publish: when-complete   # an issue appears once its week has ended; on-date shows papers on their date
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

# The same files as examples/ in the digestgen repository (a test keeps them equal). Actions are
# pinned to the commit of a release (its tag in the comment): a tag can be moved, a commit not.
# Dependabot (DEPENDABOT) proposes newer ones.
# Steps every job of every workflow starts with, written once: CHECKOUT (then any more of its
# `with:` lines) and PYTHON_AND_DIGESTGEN stand for them in the templates below.
_STEPS = {
    "      - CHECKOUT\n": """\
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1
        with:
          persist-credentials: false
""",
    "      - PYTHON_AND_DIGESTGEN\n": """\
      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97  # v7.0.0
        with:
          python-version: "3.12"
      - name: Install digestgen (the version in requirements.txt)
        run: python -m pip install -r requirements.txt
""",
}


def workflow(template: str) -> str:
    """A workflow template with its shared steps written out."""
    for mark, steps in _STEPS.items():
        template = template.replace(mark, steps)
    return template


WORKFLOW = """\
# Check every pull request; build and publish the digest to GitHub Pages from main.
# One-time setup: Settings > Pages > Build and deployment > Source: "GitHub Actions".
# digestgen's version is the one line of requirements.txt: change it there to upgrade.
name: digest

on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: "17 5 * * *"  # daily, so papers dated in the future appear on their day
  workflow_dispatch:

permissions: {}

concurrency:
  group: digest-${{ github.ref }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}

jobs:
  check:
    name: Check the entries
    runs-on: ubuntu-latest
    permissions:
      contents: read  # check out the repository
    steps:
      - CHECKOUT
          fetch-depth: 2  # a pull request's merge commit and its first parent, the base branch
      - PYTHON_AND_DIGESTGEN
      - name: Check the entries (errors and warnings appear on the pull request's files)
        # on a pull request, the job summary shows its papers as readers will see them
        run: digestgen check --strict --format github ${GITHUB_BASE_REF:+--since HEAD^1}

  links:
    name: Check the links of every entry
    # daily (and on demand): dead links appear as warnings on the run; they never stop a deploy
    if: github.event_name != 'pull_request' && github.event_name != 'push' && github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    permissions:
      contents: read  # check out the repository
    steps:
      - CHECKOUT
      - PYTHON_AND_DIGESTGEN
      # Links that answered are not asked again for link_check.remember_days: the answers
      # (links.json in digestgen's cache folder, outside the checkout) are kept between runs
      # by this job alone.
      - id: answers
        name: Restore the answers of earlier runs
        uses: actions/cache/restore@27d5ce7f107fe9357f9df03efb73ab90386fccae  # v5.0.5
        with:
          path: ${{ runner.temp }}/digestgen-cache/links.json
          key: digestgen-links-${{ github.run_id }}
          restore-keys: digestgen-links-
      - name: Check every external link
        env:
          DIGESTGEN_CACHE_DIR: ${{ runner.temp }}/digestgen-cache
        run: digestgen check --links --format github
      - name: Save the answers
        uses: actions/cache/save@27d5ce7f107fe9357f9df03efb73ab90386fccae  # v5.0.5
        with:
          path: ${{ runner.temp }}/digestgen-cache/links.json
          key: ${{ steps.answers.outputs.cache-primary-key }}

  deploy:
    name: Build and deploy to GitHub Pages
    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'
    needs: check
    runs-on: ubuntu-latest
    permissions:
      contents: read  # check out the repository
      pages: write  # publish to GitHub Pages
      id-token: write  # prove to Pages that this workflow built the site
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - CHECKOUT
      - PYTHON_AND_DIGESTGEN
      # The build cache and the last deploy's public/ make a deploy of a big digest an
      # incremental build: papers that did not change are not read again, and pages that did
      # not change are taken from that public/ instead of being made again. The cache holds
      # data only and lives outside the checkout (DIGESTGEN_CACHE_DIR); a public/ the build did
      # not leave itself has each file checked against its manifest before it is taken, so
      # the site published is the one a build from scratch makes. Only this job saves them, in
      # one entry, and it runs on main alone: a pull request cannot write a cache main reads.
      - id: cache
        name: Restore the build cache and the last deploy's site
        uses: actions/cache/restore@27d5ce7f107fe9357f9df03efb73ab90386fccae  # v5.0.5
        with:
          path: |
            ${{ runner.temp }}/digestgen-cache
            public
          key: digestgen-${{ hashFiles('requirements.txt') }}-${{ hashFiles('site.yaml', 'content/**', 'templates/**', 'themes/**') }}
          restore-keys: digestgen-${{ hashFiles('requirements.txt') }}-
      - id: pages
        uses: actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b  # v5.0.0
      - name: Build
        env:
          BASE_URL: ${{ steps.pages.outputs.base_url }}
          DIGESTGEN_CACHE_DIR: ${{ runner.temp }}/digestgen-cache
        run: digestgen build --base-url "$BASE_URL/"
      - name: Save the build cache and the site
        if: steps.cache.outputs.cache-hit != 'true'
        uses: actions/cache/save@27d5ce7f107fe9357f9df03efb73ab90386fccae  # v5.0.5
        with:
          path: |
            ${{ runner.temp }}/digestgen-cache
            public
          key: ${{ steps.cache.outputs.cache-primary-key }}
      - uses: actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9  # v5.0.0
        with:
          path: public
      - id: deployment
        uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128  # v5.0.0
"""  # noqa: E501 - a workflow line is as long as its expression

DEPENDABOT = """\
# Dependabot proposes a pull request when an action of .github/workflows has a new release
# (pinned to its commit, like the others).
version: 2
updates:
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: monthly
    cooldown:
      default-days: 7  # let a release settle (and be withdrawn if it was bad) first
"""


def requirements() -> str:
    """requirements.txt: the one place a digest's workflows (and curators) take digestgen from."""
    return (
        "# digestgen, pinned. Every workflow in .github/workflows installs it from this file, and so can\n"
        "# you: pip install -r requirements.txt. It comes from digestgen's Git repository at the tag of\n"
        "# the version that made this site; to upgrade, change the tag (a commit id pins it for good).\n"
        f"digestgen @ git+{REPOSITORY}@v{__version__}\n"
    )


PULL_REQUEST_TEMPLATE = """\
## Add a paper

<!-- One paper per pull request keeps review quick. Start the entry with:
       digestgen new 2511.11002
     which fills title, authors, abstract and dates from arXiv. -->

**Paper:** <!-- arXiv id or link -->

**Why it belongs in this digest:** <!-- one or two sentences -->

### Checklist
- [ ] The entry is one new file under `content/papers/<year>/`, named after the arXiv id (or a short slug)
- [ ] `date` is the day it entered the digest (it picks the issue); `arxiv` is quoted, like `arxiv: "2511.11002"`
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
      NUMBER: ${{ github.event.issue.number }}
    steps:
      - CHECKOUT
      - PYTHON_AND_DIGESTGEN
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
    last_week = today - dt.timedelta(days=today.weekday() + 1)  # its issue is complete, so the new site shows it
    files = {
        "site.yaml": SITE_YAML.format(title=json.dumps(title), base_url=base_url),
        f"content/papers/{last_week.year}/1706.03762.md": PAPER.format(today=last_week.isoformat()),
        "content/pages/about.md": ABOUT,
        "content/tags.yaml": TAGS,
        "static/.gitkeep": "",
        ".gitignore": "public/\n.public.*\n.digestgen-cache/\nemail/\n",
        "requirements.txt": requirements(),
        ".github/workflows/digest.yml": workflow(WORKFLOW),
        ".github/dependabot.yml": DEPENDABOT,
        ".github/pull_request_template.md": PULL_REQUEST_TEMPLATE,
        ".github/ISSUE_TEMPLATE/suggest-paper.yml": SUGGEST_FORM,
        ".github/workflows/suggest.yml": workflow(SUGGEST_WORKFLOW),
    }
    written = []
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    return written
