"""A reader's "Suggest a paper" issue -> an entry file and what the workflow does next.

The issue arrives as the GitHub event JSON of an `issues` event. Its body is the rendered
issue form ("### Label" headings, each followed by the answer). Everything in it is typed by a
stranger: it is parsed, validated and quoted here, and the workflow only moves the results
(a branch name, a title, a Markdown body) between digestgen, git and the GitHub CLI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from digestgen import gfm
from digestgen.config import SiteConfig
from digestgen.errors import UsageError

MAX_REASON = 5000
NO_RESPONSE = "_No response_"  # what GitHub writes for an optional field left empty
_HEADING = re.compile(r"^#{3}\s+(.+?)\s*#*\s*$")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")
# which form field a heading belongs to, by a word in its label (so curators may reword labels)
_FIELDS = (("paper", ("arxiv", "paper")), ("reason", ("why", "reason", "matter")), ("tags", ("tag",)))


@dataclass
class Suggestion:
    """The parts of a suggestion issue digestgen needs."""

    number: int
    login: str
    answers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What the workflow does: open a pull request, or answer on the issue (and maybe close it)."""

    action: str  # "pr" or "comment"
    body: str
    issue: int
    branch: str = ""
    title: str = ""
    path: str = ""
    close: bool = False

    def outputs(self) -> dict[str, str]:
        return {"action": self.action, "issue": str(self.issue), "branch": self.branch, "title": self.title,
                "path": self.path, "close": "true" if self.close else "false", "body": self.body}


def read_event(path: Path) -> Suggestion:
    """The issue of a GitHub `issues` event file; UsageError when the file is not one."""
    try:
        event = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the event ({exc})") from None
    issue = event.get("issue") if isinstance(event, dict) else None
    if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
        raise UsageError(f"{path}: not an issues event (no issue.number); run this from an 'issues' workflow")
    user = issue.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    body = issue.get("body")
    return Suggestion(issue["number"], login if isinstance(login, str) else "",
                      parse_form(body if isinstance(body, str) else ""))


def parse_form(body: str) -> dict[str, str]:
    """The answers of a rendered issue form, by field ("paper", "reason", "tags")."""
    answers: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []

    def keep() -> None:
        if current is not None and current not in answers:
            value = "\n".join(lines).strip()
            answers[current] = "" if value == NO_RESPONSE else value

    for line in body.replace("\r\n", "\n").split("\n"):
        heading = _HEADING.match(line)
        if heading:
            keep()
            label = heading.group(1).lower()
            current = next((name for name, words in _FIELDS if any(w in label for w in words)), None)
            lines = []
        elif current is not None:
            lines.append(line)
    keep()
    return answers


def credit(login: str) -> str | None:
    """'@login' for a GitHub user name (bots and odd values get no credit line)."""
    return f"@{login}" if _LOGIN.fullmatch(login) else None


def clean_reason(text: str) -> str:
    """The reader's reason as a note: Markdown kept, control characters dropped, length capped."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n")).strip()
    return text if len(text) <= MAX_REASON else text[:MAX_REASON].rstrip() + " …"


def _bad(suggestion: Suggestion, message: str) -> Outcome:
    who = credit(suggestion.login)
    greeting = f"Thanks for the suggestion, {who}! " if who else "Thanks for the suggestion! "
    return Outcome("comment", greeting + message + "\n\nPlease edit the issue; a curator will label it again.",
                   suggestion.number)


def _answers(config: SiteConfig, suggestion: Suggestion) -> tuple[str, list[str]] | Outcome:
    """The arXiv id and tags of a suggestion, or the comment that says what is wrong with them."""
    from digestgen.entries import tag_vocabulary
    from digestgen.schema import check_slug
    from digestgen.sources import normalise_arxiv

    raw = suggestion.answers.get("paper", "").strip()
    if not raw:
        return _bad(
            suggestion,
            "I could not find the arXiv id: the issue has no answer under "
            '"arXiv id or link". Write it like `2511.11002` or `https://arxiv.org/abs/2511.11002`.',
        )
    arxiv = normalise_arxiv(raw) if len(raw.split()) == 1 else None
    if arxiv is None:
        return _bad(suggestion, f"{gfm.code(raw[:200])} is not an arXiv id or link. Write it like `2511.11002`, "
                                "`arXiv:2511.11002v2` or `https://arxiv.org/abs/2511.11002`.")
    tags: list[str] = []
    for word in re.split(r"[,\s]+", suggestion.answers.get("tags", "")):
        tag = word.strip().lstrip("#").lower()
        if tag and tag not in tags:
            tags.append(tag)
    for tag in tags:
        try:
            check_slug(tag)
        except ValueError:
            return _bad(suggestion, f"{gfm.code(tag[:100])} is not a tag: tags are lowercase words joined by `-`.")
    known = tag_vocabulary(config.root)
    unknown = [t for t in tags if known is not None and t not in known]
    if unknown:
        listed = ", ".join(gfm.code(t) for t in known or [])
        return _bad(suggestion, f"{'These tags are' if len(unknown) > 1 else 'This tag is'} not used in this digest: "
                                f"{', '.join(gfm.code(t[:100]) for t in unknown)}. Tags it knows: {listed}.")
    return arxiv, tags


def suggest(config: SiteConfig, suggestion: Suggestion, dry_run: bool = False) -> Outcome:
    """Write the entry of a suggestion (unless dry_run) and say what the workflow does next."""
    from digestgen.content import parse_paper
    from digestgen.entries import entry_id, entry_path, entry_text, scan, write_entry
    from digestgen.site import issue_key
    from digestgen.sources import arxiv_base, fetch_arxiv

    answers = _answers(config, suggestion)
    if isinstance(answers, Outcome):
        return answers
    arxiv, tags = answers
    existing = scan(config.root)
    where = existing.arxiv.get(arxiv_base(arxiv))
    pid = entry_id(arxiv)
    if where or pid in existing.ids:
        rel = where or existing.ids[pid]
        stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        url = f"{config.base_url.rstrip('/')}/papers/{stem}/"
        who = credit(suggestion.login)
        return Outcome("comment", f"Thanks{', ' + who if who else ''}! arXiv {gfm.code(arxiv_base(arxiv))} is already "
                                  f"in the digest: {url} (`{rel}`).", suggestion.number, close=True)

    meta = fetch_arxiv([arxiv]).get(arxiv_base(arxiv))
    if meta is None:
        return _bad(suggestion, f"The arXiv API does not know {gfm.code(arxiv)}; please check the id.")
    if arxiv != arxiv_base(arxiv):
        meta.arxiv = arxiv
    rel = entry_path(config.today, pid)
    text = entry_text(config.today, meta, tags=tags, submitted_by=credit(suggestion.login),
                      note=clean_reason(suggestion.answers.get("reason", "")))
    key = issue_key(config.today, config.fields.cadence)
    title = f"Add {meta.title[:150]} (arXiv {arxiv})"
    body = [f"Adds {gfm.link(meta.title, f'https://arxiv.org/abs/{arxiv}')} to the digest"
            + (f", suggested by {credit(suggestion.login)} in #{suggestion.number}." if credit(suggestion.login)
               else f", suggested in #{suggestion.number}."),
            "",
            (f"The entry is `{rel}`, dated {config.today.isoformat()}, so it lands in issue {key}. "
             "The reader's reason is its note: edit the note and tags on this branch before merging.")]
    if not dry_run:
        write_entry(config.root, rel, text)
        paper, problems = parse_paper(config.root, rel, config.tz, config.base_path)
        errors = [p for p in problems if p.severity == "error"]
        if paper is None or errors:
            (config.root / rel).unlink()
            raise UsageError("the suggested entry does not validate:\n" + "\n".join(p.format() for p in problems))
        if problems:
            body += ["", "`digestgen check` warns about the entry:", ""]
            body += [f"- {gfm.text(p.format())}" for p in problems]
    body += ["", f"Closes #{suggestion.number}"]
    return Outcome("pr", "\n".join(body), suggestion.number,
                   branch=f"suggest/issue-{suggestion.number}-{pid}", title=title, path=rel)


def write_outputs(outcome: Outcome, file: Path) -> None:
    """Append the outcome to $GITHUB_OUTPUT, multi-line values between a delimiter they lack."""
    import secrets

    with open(file, "a", encoding="utf-8", newline="\n") as handle:
        for name, value in outcome.outputs().items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

