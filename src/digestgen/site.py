"""The in-memory site: published papers grouped into issues by cadence, tags, related papers.

Everything here is plain data sorted with stable keys (id as the last tie-break), so the same
sources always produce the same model.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from digestgen.authors import AuthorEntry, Authors, authors_of
from digestgen.config import SiteConfig
from digestgen.content import IssueIntro, Page, Paper, Tag, Unfinished, fold, is_placeholder_title
from digestgen.errors import Problem
from digestgen.publish import publication
from digestgen.related import related_papers
from digestgen.schema import ISSUE_KEY_RE

RESERVED_SLUGS = frozenset(
    {
        "issues",
        "papers",
        "tags",
        "authors",
        "search",
        "pagefind",
        "static",
        "assets",
        "feed",
        "feeds",
        "404",
        "reading-list",
    }
)


@dataclass
class Issue:
    """One edition of the digest."""

    key: str
    start: dt.date
    end: dt.date
    papers: list[Paper]
    intro: IssueIntro | None = None
    newer: str | None = None
    older: str | None = None
    publish_at: dt.datetime | None = None  # when it appears; None: a draft, held back
    publish_rule: str = ""  # why then, for messages: "when its week ends", "as scheduled"...
    published: bool = True  # publish_at has come (in the build's "now")

    @property
    def title(self) -> str | None:
        return self.intro.title if self.intro else None

    @property
    def status(self) -> tuple[bool, dt.datetime | None]:
        """What a page shows of the issue's publication (its badge, in a preview)."""
        return self.published, None if self.published else self.publish_at


@dataclass
class TagInfo:
    slug: str
    name: str
    description: str | None
    papers: list[Paper] = field(default_factory=list)


@dataclass
class SiteModel:
    """Everything the renderer needs, computed once."""

    config: SiteConfig
    papers: list[Paper]  # newest first
    papers_by_id: dict[str, Paper]
    issues: list[Issue]  # newest first
    issues_by_key: dict[str, Issue]
    issue_of: dict[str, str]
    tags: dict[str, TagInfo]  # sorted by slug
    pages: list[Page]
    related: dict[str, list[Paper]]
    warnings: list[Problem] = field(default_factory=list)
    drafts: int = 0  # papers marked draft: true, shown or not
    upcoming: list[Issue] = field(default_factory=list)  # issues not yet published, next first; drafts last
    authors: Authors = field(default_factory=Authors)

    @property
    def next_issue(self) -> Issue | None:
        """The issue that will be published next (not a draft), if any."""
        return next((i for i in self.upcoming if i.publish_at is not None), None)

    @property
    def updated(self) -> dt.date | None:
        """The newest featured date: the site's 'now' in every output (never the clock)."""
        return self.papers[0].date if self.papers else None


def issue_key(day: dt.date, cadence: str) -> str:
    if cadence == "daily":
        return day.isoformat()
    if cadence == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    iso = day.isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def issue_range(key: str, cadence: str) -> tuple[dt.date, dt.date]:
    """First and last day of an issue; ValueError for a key that names no real period."""
    if not ISSUE_KEY_RE[cadence].fullmatch(key):
        raise ValueError(key)
    if cadence == "daily":
        day = dt.date.fromisoformat(key)
        return day, day
    if cadence == "monthly":
        year, month = int(key[:4]), int(key[5:7])
        start = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return start, nxt - dt.timedelta(days=1)
    year, week = int(key[:4]), int(key[6:])
    start = dt.date.fromisocalendar(year, week, 1)
    try:
        return start, start + dt.timedelta(days=6)
    except OverflowError:  # 9999-W52 ends after the last date Python knows
        raise ValueError(key) from None


def order_key(paper: Paper) -> tuple[object, ...]:
    """Curated order inside an issue: featured, rank, upvotes desc, title, id."""
    return (
        not paper.featured,
        paper.rank is None,
        paper.rank or 0,
        -(paper.upvotes or 0),
        paper.title.casefold(),
        paper.id,
    )


def _check_fields(entry: Paper | Unfinished, config: SiteConfig, vocabulary: dict[str, Tag] | None,
                  problems: list[Problem]) -> None:
    """What one entry's fields must agree with beyond the file: tags in content/tags.yaml (with
    the nearest known tag), an issue key of the site's cadence, an image under static/."""
    for i, tag in enumerate(entry.tags if vocabulary is not None else ()):
        if tag and tag not in vocabulary:  # type: ignore[operator]
            close = difflib.get_close_matches(tag, list(vocabulary), n=1, cutoff=0.6)  # type: ignore[arg-type]
            fix = f"did you mean '{close[0]}'?" if close else "add it there or pick an existing tag"
            problems.append(_problem(entry, f"tags.{i}", f"'{tag}' is not in content/tags.yaml; {fix}"))
    cadence = config.fields.cadence
    if entry.issue is not None and not _valid(entry.issue, cadence):
        example = issue_key(entry.date if isinstance(entry, Paper) else config.today, cadence)
        problems.append(_problem(entry, "issue", f"'{entry.issue}' is not a {cadence} issue key (like {example})"))
    image = (
        config.root / "static" / entry.image
        if entry.image and not entry.image.startswith(("http://", "https://"))
        else None
    )
    if image is not None and (not image.is_file() or image.is_symlink()):
        problems.append(_problem(entry, "image", f"static/{entry.image} does not exist"))


def _check_unfinished(paper: Paper, problems: list[Problem]) -> None:
    """Warn about what a template leaves for a person to fill in, in a paper about to be shown."""
    if not paper.has_abstract and not paper.links and not paper.arxiv and not paper.doi:
        problems.append(
            _problem(paper, "title", "has neither an abstract nor any link; readers cannot find the paper", "warning")
        )
    if is_placeholder_title(paper.title):
        problems.append(
            _problem(paper, "title", "is still the template's placeholder; write the paper's title", "warning")
        )
    if paper.arxiv and not paper.authors:
        where = "authors" if "\nauthors\t" in paper.marks else "arxiv"
        problems.append(
            _problem(
                paper, where, "an arXiv paper without authors; list them (authors: [First Author, ...])", "warning"
            )
        )


def _problem(paper: Paper | Unfinished, name: str, message: str, severity: str = "error") -> Problem:
    line, col = paper.mark(name)
    return Problem(paper.source, line, col, name, message, severity)


def build_model(config: SiteConfig, parsed: list[Paper], intros: list[IssueIntro], pages: list[Page],
                vocabulary: dict[str, Tag] | None, problems: list[Problem],
                unreadable: frozenset[str] = frozenset(), related: dict[str, list[list[int]]] | None = None,
                unfinished: Sequence[Unfinished] = (), people: dict[str, AuthorEntry] | None = None) -> SiteModel:
    """Group, order and cross-check; errors and warnings are appended to problems.

    unreadable: ids of paper files that failed to load (already reported); links to them are
    not reported again as links to missing pages. related: see _related. unfinished: entries
    that failed validation, whose tags, issue and image are still checked (see _check_fields).
    people: the entries of content/authors.yaml.
    """
    for entry in unfinished:
        _check_fields(entry, config, vocabulary, problems)
    opts = config.options
    cadence = config.fields.cadence
    seen: dict[str, Paper] = {}
    arxiv_seen: dict[str, Paper] = {}
    candidates: list[Paper] = []  # every paper this build may show, whatever its date
    earliest, latest = dt.date(1900, 1, 1), config.today + dt.timedelta(days=366)  # plausible dates
    drafts = 0
    for paper in parsed:  # parsed is in sorted path order
        first = seen.get(paper.id)
        if first is not None:
            problems.append(
                Problem(paper.source, 1, 1, "id", f"'{paper.id}' is already used by {first.source}; ids must be unique")
            )
            continue
        seen[paper.id] = paper
        arxiv = paper.arxiv_base
        if arxiv:
            other = arxiv_seen.get(arxiv)
            if other is not None:
                problems.append(_problem(paper, "arxiv", f"arXiv {arxiv} is already in the digest as {other.source}"))
            else:
                arxiv_seen[arxiv] = paper
        _check_fields(paper, config, vocabulary, problems)
        if not earliest <= paper.date <= latest:
            problems.append(_problem(paper, "date", f"{paper.date} looks implausible; is the year right?", "warning"))
        if paper.published and not earliest <= paper.published <= latest:
            problems.append(
                _problem(paper, "published", f"{paper.published} looks implausible; is the year right?", "warning")
            )
        drafts += paper.draft
        if paper.draft and not opts.drafts:
            continue
        _check_unfinished(paper, problems)
        candidates.append(paper)

    # newest first, then by id: two stable sorts by attribute, no key function called per paper
    candidates.sort(key=operator.attrgetter("id"))
    candidates.sort(key=operator.attrgetter("date"), reverse=True)
    by_issue: dict[str, list[Paper]] = defaultdict(list)  # future papers too: they decide when an issue appears
    key_of_day: dict[dt.date, str] = {}
    for paper in candidates:
        key = (
            paper.issue
            or key_of_day.get(paper.date)
            or key_of_day.setdefault(paper.date, issue_key(paper.date, cadence))
        )
        by_issue[key].append(paper)

    intro_by_key: dict[str, IssueIntro] = {}
    for intro in intros:
        try:
            start, end = issue_range(intro.key, cadence)
        except ValueError:
            problems.append(
                Problem(
                    intro.source,
                    1,
                    1,
                    "key",
                    f"'{intro.key}' is not a {cadence} issue key; name the file like "
                    f"{issue_key(config.today, cadence)}.md",
                )
            )
            continue
        if intro.key not in by_issue:
            problems.append(
                Problem(
                    intro.source,
                    1,
                    1,
                    "key",
                    f"issue {intro.key} has no published papers, so this intro is not shown",
                    "warning",
                )
            )
        if intro.publish_at is not None and not start - dt.timedelta(
            days=366
        ) <= intro.publish_at.date() <= end + dt.timedelta(days=366):
            problems.append(
                Problem(
                    intro.source,
                    *intro.publish_mark,
                    "publish_at",
                    f"{intro.publish_at:%Y-%m-%d} is more than a year from the issue's {start} to {end}; "
                    "is the year right?",
                    "warning",
                )
            )
        intro_by_key[intro.key] = intro

    issues: list[Issue] = []
    upcoming: list[Issue] = []
    visible: list[Paper] = []
    issue_of: dict[str, str] = {}
    for key in sorted(
        by_issue, key=lambda k: issue_range(k, cadence)[0] if _valid(k, cadence) else dt.date.min, reverse=True
    ):
        if not _valid(key, cadence):
            continue
        start, end = issue_range(key, cadence)
        members = by_issue[key]
        issue = Issue(key, start, end, members, intro_by_key.get(key))
        issue.publish_at, issue.publish_rule = publication(config, issue.intro, issue.papers, issue.end)
        issue.published = issue.publish_at is not None and issue.publish_at <= config.now
        if not issue.published:
            upcoming.append(issue)
            if not (opts.drafts if issue.publish_at is None else opts.future):
                continue
        shown = members if opts.future else [p for p in members if p.date <= config.today]
        if not shown:
            continue
        issue.papers = sorted(shown, key=order_key)
        issues.append(issue)
        visible.extend(shown)
        for paper in shown:
            issue_of[paper.id] = key
    for newer, older in itertools.pairwise(issues):
        newer.older, older.newer = older.key, newer.key
    visible.sort(key=operator.attrgetter("id"))
    visible.sort(key=operator.attrgetter("date"), reverse=True)
    upcoming.sort(key=lambda i: (i.publish_at is None, i.publish_at or config.now, i.key))

    tags: dict[str, TagInfo] = {}
    for slug in sorted({t for p in visible for t in p.tags} | set(vocabulary or {})):
        info = (vocabulary or {}).get(slug)
        tags[slug] = TagInfo(
            slug, info.name if info else slug.replace("-", " ").capitalize(), info.description if info else None
        )
    for paper in visible:
        for tag in paper.tags:
            tags[tag].papers.append(paper)

    page_list = _check_pages([p for p in pages if opts.drafts or not p.draft], problems)
    authors = authors_of(visible, parsed, people or {}, config.fields.author_pages, problems)
    model = SiteModel(config, visible, {p.id: p for p in visible}, issues, {i.key: i for i in issues},
                      issue_of, tags, page_list, related_papers(visible, tags, related), drafts=drafts,
                      upcoming=upcoming, authors=authors)
    _check_internal_links(model, parsed, pages, problems, intros, unreadable)
    return model


def _valid(key: str, cadence: str) -> bool:
    try:
        issue_range(key, cadence)
    except ValueError:
        return False
    return True


def _check_pages(pages: list[Page], problems: list[Problem]) -> list[Page]:
    kept: list[Page] = []
    folded: dict[str, Page] = {}
    for page in sorted(pages, key=lambda p: p.source):
        if page.slug in RESERVED_SLUGS:
            problems.append(
                Problem(
                    page.source, 1, 1, "slug", f"'{page.slug}' would replace /{page.slug}/ of the site; rename the file"
                )
            )
            continue
        other = folded.get(fold(page.slug))
        if other is not None:
            problems.append(Problem(page.source, 1, 1, "slug", f"maps to the same URL as {other.source}"))
            continue
        folded[fold(page.slug)] = page
        kept.append(page)
    return kept


def _check_internal_links(model: SiteModel, parsed: list[Paper], pages: list[Page], problems: list[Problem],
                          intros: list[IssueIntro], unreadable: frozenset[str] = frozenset()) -> None:
    """Warn about note links to site paths that will not exist."""
    if not any(doc.internal_links for docs in (parsed, pages, intros) for doc in docs):
        return  # most digests: no site path to look up, so no need for the set of them all
    known = {"/", "/issues/", "/tags/", "/authors/", "/search/", "/papers/", "/feed.xml", "/rss.xml", "/feed.json",
             "/papers/feed.xml", "/feeds.opml", "/sitemap.xml", "/papers.json", "/llms.txt", "/404.html"}
    known |= {f"/papers/{pid}/" for pid in [*(p.id for p in parsed), *unreadable]}
    known |= {f"/issues/{k}/" for k in model.issues_by_key}
    known |= {f"/tags/{t}/" for t in model.tags} | {f"/tags/{t}/feed.xml" for t in model.tags}
    per_page = max(1, model.config.fields.per_page)
    known |= {
        f"/tags/{t.slug}/page/{n}/" for t in model.tags.values() for n in range(2, -(-len(t.papers) // per_page) + 1)
    }
    known |= {f"/{p.slug}/" for p in pages}
    people = model.authors.papers
    known |= {f"/authors/{slug}/" for slug in people} | {f"/authors/{slug}/feed.xml" for slug in people}
    known |= {
        f"/authors/{slug}/page/{n}/"
        for slug, papers in people.items()
        for n in range(2, -(-len(papers) // per_page) + 1)
    }
    static = model.config.root / "static"

    def exists(href: str) -> bool:
        path = href.split("#", 1)[0].split("?", 1)[0]
        if path in known or (path + "/") in known:
            return True
        return (static / path.lstrip("/")).is_file() if ".." not in path else False

    for paper in parsed:
        for line, href in paper.internal_links:
            if not exists(href):
                problems.append(
                    Problem(
                        paper.source, line, 1, "note", f"links to {href}, which is not a page of this site", "warning"
                    )
                )
    for page in pages:
        for line, href in page.internal_links:
            if not exists(href):
                problems.append(
                    Problem(
                        page.source, line, 1, "body", f"links to {href}, which is not a page of this site", "warning"
                    )
                )
    for intro in intros:
        for line, href in intro.internal_links:
            if not exists(href):
                problems.append(
                    Problem(
                        intro.source, line, 1, "intro", f"links to {href}, which is not a page of this site", "warning"
                    )
                )
