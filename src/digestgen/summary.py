"""A pull request's papers as a reader will see them, in Markdown for GitHub's job summary.

`digestgen check --since origin/main` (or with the changed files named) finds the paper files
a pull request adds, changes or removes, and writes each entry's card: title, authors, links,
tags, note, and the issue it lands in with when that issue is published. Everything from an
entry is untrusted text and goes through gfm.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from digestgen import gfm
from digestgen.config import SiteConfig
from digestgen.content import Paper, discover, parse_issue, parse_paper
from digestgen.errors import UsageError
from digestgen.publish import moment_text, start_of_day
from digestgen.publish import publication as issue_publication
from digestgen.site import issue_key, issue_range

MAX_AUTHORS = 20
_STATUS = {"A": "added", "M": "changed", "D": "removed", "T": "changed", "?": "added"}


@dataclass(frozen=True)
class Change:
    rel: str  # path from the site folder
    status: str  # added, changed, removed, or "" when named on the command line


def changed_since(root: Path, ref: str) -> list[Change]:
    """Paper files that differ between ref and the working tree (untracked ones included)."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        except OSError as exc:
            raise UsageError(f"--since needs git, which could not be run ({exc.strerror})") from None
        if done.returncode:
            raise UsageError(f"--since {ref}: git {args[0]} failed: {done.stderr.strip() or done.returncode}")
        return done.stdout

    fields = git("diff", "--relative", "--no-renames", "--name-status", "-z", ref, "--", "content/papers").split("\0")
    changes = {fields[i + 1]: _STATUS.get(fields[i][:1], "changed") for i in range(0, len(fields) - 1, 2)}
    for rel in git("ls-files", "--others", "--exclude-standard", "-z", "--", "content/papers").split("\0"):
        if rel:
            changes[rel] = "added"
    return [Change(rel, status) for rel, status in sorted(changes.items())]


def named(root: Path, paths: list[Path]) -> list[Change]:
    """Paper files named on the command line (relative to the site folder or absolute)."""
    changes = []
    for path in paths:
        full = path if path.is_absolute() else Path.cwd() / path
        try:
            rel = full.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{path} is not inside the site folder {root}") from None
        changes.append(Change(rel, "" if full.exists() else "removed"))
    return changes


def publication(config: SiteConfig, paper: Paper, key: str) -> str:
    """When readers first see the paper in issue key: on its own date or when its issue is
    published (the site's rule, or the issue file's draft or publish_at), whichever is later."""
    if paper.draft:
        return "not published while it is a draft (`draft: true`)"
    try:
        _, end = issue_range(key, config.fields.cadence)
    except ValueError:
        return "in no issue until its `issue` key is fixed"
    rel = f"content/issues/{key}.md"
    intro = parse_issue(config.root, rel, config.base_path, [], config.tz) if (config.root / rel).is_file() else None
    issue_at, rule = issue_publication(config, intro, [paper], end)
    if issue_at is None:
        return f"held back with its issue, a draft (`draft: true` in {gfm.code(rel)})"
    own = start_of_day(paper.date, config)
    when = max(issue_at, own)
    if when <= config.now:
        return "published when this pull request is merged and the site is deployed"
    if when == own:
        return f"published on {paper.date.isoformat()}, its date (the daily build adds it)"
    return f"published {moment_text(when)} {config.fields.timezone} ({gfm.text(rule)}), by the first build after that"


def card(config: SiteConfig, paper: Paper) -> list[str]:
    """The Markdown lines of one entry."""
    url = f"{config.base_url}papers/{paper.id}/"
    lines = [f"### {gfm.link(paper.title, url)}", ""]
    facts: list[str] = []
    if paper.authors:
        shown = ", ".join(gfm.text(a) for a in paper.authors[:MAX_AUTHORS])
        more = len(paper.authors) - MAX_AUTHORS
        facts.append(f"**Authors:** {shown}" + (f" and {more} more" if more > 0 else ""))
    links = []
    if paper.arxiv:
        links += [gfm.link(f"arXiv {paper.arxiv}", f"https://arxiv.org/abs/{paper.arxiv}"),
                  gfm.link("PDF", f"https://arxiv.org/pdf/{paper.arxiv}")]
    if paper.doi:
        links.append(gfm.link(f"DOI {paper.doi}", f"https://doi.org/{paper.doi}"))
    links += [gfm.link(label, href) for label, href in paper.links]
    if links:
        facts.append("**Links:** " + " · ".join(links))
    if paper.tags:
        facts.append("**Tags:** " + ", ".join(gfm.text(t) for t in paper.tags))
    if paper.journal:
        facts.append(f"**Journal:** {gfm.text(paper.journal)}")
    if paper.published:
        facts.append(f"**Published:** {paper.published.isoformat()}")
    if paper.submitted_by:
        facts.append(f"**Suggested by:** {gfm.text(paper.submitted_by)}")
    key = paper.issue or issue_key(paper.date, config.fields.cadence)
    try:
        start, end = issue_range(key, config.fields.cadence)
        span = f" ({_span(start, end)})"
    except ValueError:
        span = ""
    facts.append(f"**Lands in:** issue {gfm.text(key)}{span}, dated {paper.date.isoformat()}; "
                 + publication(config, paper, key))
    if paper.featured or paper.rank is not None:
        facts.append("**Placement:** " + ", ".join(
            (["featured"] if paper.featured else []) + ([f"rank {paper.rank}"] if paper.rank is not None else [])))
    lines += [f"{fact}  " for fact in facts[:-1]] + facts[-1:] + [""]
    if paper.tldr:
        lines += [f"*{gfm.text(paper.tldr)}*", ""]
    if paper.note:
        lines += [gfm.block(paper.note), ""]
    if paper.abstract:
        lines += ["<details><summary>Abstract</summary>", "", gfm.block(paper.abstract), "", "</details>", ""]
    return lines


def _span(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def summary(config: SiteConfig, changes: list[Change]) -> str:
    """The job summary of a pull request's paper files ("" when it touches none)."""
    papers = set(discover(config.root).papers)
    lines: list[str] = []
    shown = 0
    for change in changes:
        if change.status == "removed":
            lines += [f"### Removed: {gfm.code(change.rel)}", ""]
            continue
        if change.rel not in papers:
            continue
        paper, problems = parse_paper(config.root, change.rel, config.tz, config.base_path)
        where = gfm.code(change.rel) + (f" ({change.status})" if change.status else "")
        if not isinstance(paper, Paper):  # unreadable, or fields that failed validation
            errors = sum(1 for p in problems if p.severity == "error")
            lines += [
                f"### {where}",
                "",
                f"Does not load ({errors} error{'s' * (errors != 1)}); see the check's annotations.",
                "",
            ]
            continue
        shown += 1
        lines += card(config, paper) + [f"<sub>{where}</sub>", ""]
    if not lines:
        return ""
    head = f"## {shown} paper{'s' * (shown != 1)} as readers will see {'them' if shown != 1 else 'it'}"
    return "\n".join([head, "", *lines]).rstrip("\n") + "\n"
