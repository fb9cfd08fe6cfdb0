"""After any sequence of edits, an incremental build writes the bytes of a cold build.

Hypothesis draws the edits: a paper's title, note (also days later), date (across issues),
tags, what orders it in its issue (featured, upvotes); a paper deleted, added or its file
renamed; site.yaml; a site override of paper.html that reads `model`; an override of the card
partial; an override of tag.html that shows the papers of the tag's other pages and
`issue_of`; a static file; an issue's intro, its text and its publishing keys; a tag's
description; a paper's authors (an author's second paper gives them a page, which every card
of their papers then links to) and content/authors.yaml; a theme of the site's own (a
template and the stylesheet) chosen, edited, switched or dropped. After each edit the site is built
incrementally (as `digestgen build` does, or as serve's preview does: one process that keeps
results between builds) and cold into a fresh folder, and the two trees must be the same, file
for file and byte for byte. In a preview, every page is also made early, as for a browser that
shows it (early.py), and must be the page the build then makes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers_core import EPOCH, tree_digest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digestgen import cache as cache_mod
from digestgen import quick
from digestgen.build import build
from digestgen.config import BuildOptions
from digestgen.early import early_pages
from digestgen.plan import UNTRACKED
from digestgen.reuse import Reuse

TAGS = ("rl", "vision", "transformers")
# Days of four weekly issues before EPOCH's day (2025-11-29): 2025-W45 to W48.
DAYS = tuple(dt.date(2025, 11, 3) + dt.timedelta(days=7 * week + day) for week in range(4) for day in (0, 3))


@dataclass
class Digest:
    """The sources of a small digest as values; files() turns them into the site's files."""

    papers: dict[str, dict[str, object]] = field(default_factory=dict)  # file stem -> fields
    title: str = "Differential Digest"
    per_page: int = 3
    paper_override: str | None = None  # the text an override of paper.html adds
    card_override: str | None = None
    tag_override: str | None = None  # the text an override of tag.html and tags.html adds
    statics: list[str] = field(default_factory=list)
    intros: dict[str, str] = field(default_factory=dict)  # issue key -> the intro's front matter
    intro_texts: dict[str, str] = field(default_factory=dict)  # issue key -> its text, if not the usual
    tag_notes: dict[str, str] = field(default_factory=dict)  # tag slug -> description
    people: str | None = None  # content/authors.yaml
    theme: str | None = None  # a whole theme of the site's own (themes/<name>/), selected in site.yaml
    theme_text: str = ""
    days: int = 0  # the builds' "now" is EPOCH and this many days
    added: int = 0

    def files(self) -> dict[str, str]:
        files = {"site.yaml": (f"title: {self.title}\nbase_url: https://example.org/digest/\ntimezone: UTC\n"
                               f"cadence: weekly\nper_page: {self.per_page}\nsearch: false\n"
                               + (f"theme: {self.theme}\n" if self.theme else ""))}
        for stem, p in self.papers.items():
            tags = ", ".join(p["tags"])  # type: ignore[arg-type]
            files[f"content/papers/2025/{stem}.md"] = (
                f'---\ntitle: "{p["title"]}"\ndate: {p["date"]}\nauthors: '
                f'[{", ".join(p.get("authors", ["Ada Lovelace"]))}]\n'  # type: ignore[arg-type]
                f"tags: [{tags}]\n" + (f"upvotes: {p['upvotes']}\n" if "upvotes" in p else "")
                + ("featured: true\n" if p.get("featured") else "") + "---\n"
                + str(p.get("note", f"A note on {stem}.")) + "\n")
        vocabulary = []
        for slug in TAGS:
            note = self.tag_notes.get(slug)
            vocabulary.append(f"{slug}: {{name: {slug.title()}" + (f", description: {note}" if note else "") + "}")
        files["content/tags.yaml"] = "\n".join(vocabulary) + "\n"
        if self.people is not None:
            files["content/authors.yaml"] = self.people
        for key, front in self.intros.items():
            text = self.intro_texts.get(key, "This week, in short.")
            files[f"content/issues/{key}.md"] = f"---\n{front}\n---\n{text}\n"
        if self.paper_override is not None:
            files["templates/paper.html"] = (
                '{% extends "default/paper.html" %}\n{% block content %}{{ super() }}'
                f"<p>{self.paper_override}: the newest is {{{{ model.papers[0].title }}}}; all of them: "
                "{{ model.papers | map(attribute='title') | join(', ') }}</p>{% endblock %}\n")
        if self.card_override is not None:
            files["templates/partials/card.html"] = (
                '{% extends "default/partials/card.html" %}\n'
                f"{{% block links %}}{{{{ super() }}}}<small>{self.card_override}</small>{{% endblock %}}\n")
        if self.tag_override is not None:  # every paper of the tag, on each of its pages
            files["templates/tag.html"] = (
                '{% extends "default/tag.html" %}\n{% block content %}{{ super() }}'
                f"<p>{self.tag_override}: {{{{ tag.papers | map(attribute='title') | join(', ') }}}}, "
                "in {{ issue_of | length }} papers</p>{% endblock %}\n")
            files["templates/tags.html"] = (  # and the newest paper of each on the tag index
                '{% extends "default/tags.html" %}\n{% block content %}{{ super() }}'
                f"<p>{self.tag_override}: {{% for tag in tags %}}{{{{ tag.papers[0].title }}}} {{% endfor %}}</p>"
                "{% endblock %}\n")
        for name in self.statics:
            files[f"static/{name}"] = f"static file {name}\n"
        if self.theme is not None:  # a template of its own and its own stylesheet
            files[f"themes/{self.theme}/templates/issue.html"] = (
                '{% extends "default/issue.html" %}\n{% block content %}{{ super() }}'
                f"<p>{self.theme_text}</p>{{% endblock %}}\n")
            files[f"themes/{self.theme}/static/site.css"] = f"/* {self.theme_text} */\nbody {{ margin: 0; }}\n"
        return files


def _start() -> Digest:
    digest = Digest()
    for number in range(12):
        digest.papers[f"paper-{number:02d}"] = {"title": f"Paper number {number}", "date": DAYS[number % len(DAYS)],
                                                "tags": list(TAGS[: 1 + number % 3])}
    digest.intros["2025-W46"] = 'title: "An intro"'
    return digest


def _nth(digest: Digest, choice: int) -> str:
    stems = sorted(digest.papers)
    return stems[choice % len(stems)]


def _title(d: Digest, n: int) -> None:
    d.papers[_nth(d, n)]["title"] = f"Retitled {n}"


def _date(d: Digest, n: int) -> None:
    d.papers[_nth(d, n)]["date"] = DAYS[(n // 7) % len(DAYS)]


def _tags(d: Digest, n: int) -> None:
    d.papers[_nth(d, n)]["tags"] = [t for i, t in enumerate(TAGS) if (n >> i) & 1] or [TAGS[n % 3]]


def _delete(d: Digest, n: int) -> None:
    if len(d.papers) > 3:
        del d.papers[_nth(d, n)]


def _add(d: Digest, n: int) -> None:
    d.added += 1
    d.papers[f"added-{d.added:02d}"] = {"title": f"Added paper {n}", "date": DAYS[n % len(DAYS)],
                                        "tags": [TAGS[n % 3]]}


def _rename(d: Digest, n: int) -> None:
    stem = _nth(d, n)
    d.papers[f"{stem}-moved"] = d.papers.pop(stem)


def _site_yaml(d: Digest, n: int) -> None:
    if n % 2:
        d.title = f"Differential Digest {n}"
    else:
        d.per_page = 2 + n % 3


def _paper_override(d: Digest, n: int) -> None:
    d.paper_override = f"Override {n}"


def _card_override(d: Digest, n: int) -> None:
    d.card_override = None if d.card_override is not None and n % 3 == 0 else f"Card {n}"


def _tag_override(d: Digest, n: int) -> None:
    d.tag_override = f"Tag override {n}"


def _static(d: Digest, n: int) -> None:
    d.statics.append(f"file-{len(d.statics)}.txt")


def _intro(d: Digest, n: int) -> None:
    """A title, a publishing time (W48 is not complete at EPOCH: publish_at brings it out),
    a draft issue held back, or no intro at all."""
    key = f"2025-W{45 + n % 4}"
    fronts = [f'title: "Intro {n}"', "publish_at: 2025-11-28T09:00", "draft: true",
              f'title: "Intro {n}"\npublish_at: 2025-12-24']
    if key in d.intros and n % 5 == 4:
        del d.intros[key]
    else:
        d.intros[key] = fronts[(n // 4) % len(fronts)]


def _later_note(d: Digest, n: int) -> None:
    """A note edited a day or more later: a preview then has pages that say what is out now."""
    d.days += 1 + n % 4
    _note(d, n)


def _intro_text(d: Digest, n: int) -> None:
    """What an issue's intro says, its title and publishing keys kept (W46 has one from the start)."""
    front = d.intros.get("2025-W46", 'title: "An intro"').split("\nsummary:")[0]
    d.intros["2025-W46"] = front + f'\nsummary: "In brief, take {n}."'
    d.intro_texts["2025-W46"] = f"This week ({n}), in **short**."


def _tag_note(d: Digest, n: int) -> None:
    d.tag_notes[TAGS[n % 3]] = f"About tag {n}"


def _standing(d: Digest, n: int) -> None:
    """Featured, or a number of upvotes: both order a paper in its issue."""
    paper = d.papers[_nth(d, n)]
    if n % 3 == 0:
        paper["featured"] = not paper.get("featured")
    else:
        paper["upvotes"] = n * 7 % 50


def _note(d: Digest, n: int) -> None:
    d.papers[_nth(d, n)]["note"] = f"A revised note ({n}) with **emphasis** and $x^{n % 5}$."


def _theme(d: Digest, n: int) -> None:
    """A theme of the site's own chosen, edited, switched for another, or dropped."""
    if d.theme is not None and n % 4 == 0:
        d.theme = None
    else:
        d.theme = ("plain", "paper")[n % 2]
        d.theme_text = f"Theme, take {n}"


PEOPLE = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Émile Borel", "Emile Borel")


def _authors(d: Digest, n: int) -> None:
    d.papers[_nth(d, n)]["authors"] = [name for i, name in enumerate(PEOPLE) if (n >> i) & 1] or [PEOPLE[n % 5]]


def _people(d: Digest, n: int) -> None:
    """Declare Alan Turing (a page from his first paper), merge both spellings of Borel, or
    drop the file."""
    entries = ["alan-turing: {name: Alan M. Turing, homepage: https://example.org/turing}\n",
               "emile-borel: {name: Émile Borel, aliases: [Emile Borel], orcid: 0000-0002-1825-0097}\n", None]
    d.people = entries[n % 3]


EDITS: dict[str, Callable[[Digest, int], None]] = {
    "title": _title, "date": _date, "tags": _tags, "delete": _delete, "add": _add, "rename": _rename,
    "site.yaml": _site_yaml, "paper override": _paper_override, "card override": _card_override,
    "tag override": _tag_override, "static": _static, "intro": _intro, "tag description": _tag_note,
    "authors": _authors, "authors.yaml": _people, "standing": _standing, "note": _note,
    "intro text": _intro_text, "later note": _later_note, "theme": _theme,
}
edit_lists = st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 63)), min_size=1, max_size=5)


class Writer:
    """Writes a Digest's files into a site folder as an editor would: only the files that
    changed, each with a new modification time, and removes the files that went away."""

    def __init__(self, site: Path):
        self.site = site
        self.written: dict[str, str] = {}
        self.clock = int(EPOCH) * 10**9 - 10**12  # mtimes long past, each new one a second later

    def sync(self, digest: Digest) -> list[str]:
        """Write the digest; the files written or removed."""
        files = digest.files()
        changed = sorted(set(self.written) - set(files))
        for rel in changed:
            (self.site / rel).unlink()
        for rel, text in sorted(files.items()):
            if self.written.get(rel) == text:
                continue
            changed.append(rel)
            path = self.site / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            self.clock += 10**9
            os.utime(path, ns=(self.clock, self.clock))
        self.written = files
        return changed


@contextmanager
def _environment(preview: bool) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("SOURCE_DATE_EPOCH", "XDG_CACHE_HOME")}
    racy = cache_mod.RACY_NS
    with tempfile.TemporaryDirectory() as home:
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        os.environ["XDG_CACHE_HOME"] = home
        # Trust a file's stat as soon as it is taken: each edit gives the file a new mtime (and
        # the system a new ctime), so the build must notice every change by the stat alone.
        cache_mod.RACY_NS = quick.RACY_NS = 0
        try:
            yield
        finally:
            cache_mod.RACY_NS = quick.RACY_NS = racy
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _options(preview: bool, output: Path) -> BuildOptions:
    """What `digestgen build` asks for, or what serve's preview asks for (serve.Preview)."""
    if preview:
        return BuildOptions(output=output, drafts=True, future=True, base_url="http://127.0.0.1:8000/", serve=True)
    return BuildOptions(output=output)


def check_edits(edits: list[tuple[str, int]], preview: bool) -> list[int]:
    """Build after each edit and compare with a cold build. In a preview, every page is also
    made early (early.py, as if a browser showed each) and must be the page the build makes;
    returns how many pages were made early after each edit."""
    made: list[int] = []
    with _environment(preview), tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        out = site / (".digestgen-cache/serve" if preview else "public")
        digest, writer = _start(), Writer(site)
        writer.sync(digest)
        reuse = Reuse(site, long_lived=True) if preview else None  # serve keeps one alive
        build(site, _options(preview, out), reuse=reuse)
        for number, (kind, choice) in enumerate(edits):
            EDITS[kind](digest, choice)
            os.environ["SOURCE_DATE_EPOCH"] = str(int(EPOCH) + digest.days * 86400)
            changed = writer.sync(digest)
            early = early_pages(reuse, changed, sorted(reuse.site or ())) if reuse is not None else {}
            build(site, _options(preview, out), reuse=reuse)
            cold = Path(folder) / f"cold{number}"
            if reuse is not None:  # a preview is built into memory
                assert reuse.site is not None
                assert {name: reuse.site.get(name) for name in early} == early, (number, kind, choice)
                made.append(len(early))
                fresh = Reuse(site, enabled=False)
                build(site, _options(preview, cold), use_cache=False, reuse=fresh)
                assert _memory(reuse) == _memory(fresh), (number, kind, choice)
                continue
            build(site, _options(preview, cold), use_cache=False)
            assert tree_digest(out) == tree_digest(cold), (number, kind, choice)
    return made


def _memory(reuse: Reuse) -> dict[str, str]:
    assert reuse.site is not None
    return {name: hashlib.sha256(data).hexdigest() for name, data in reuse.site.items()}


EXAMPLES = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
@EXAMPLES
@given(edits=edit_lists)
@example(edits=[("paper override", 0), ("add", 0)])  # each failed before pages were keyed by their reads
@example(edits=[("tag override", 0), ("title", 7)])
@example(edits=[("note", 11), ("rename", 11)])  # a renamed file of the same bytes: feeds linked the old id
@example(edits=[("theme", 1), ("theme", 3), ("theme", 2), ("theme", 0)])  # chosen, edited, switched, dropped
def test_incremental_build_equals_a_cold_build(preview: bool, edits: list[tuple[str, int]]) -> None:
    check_edits(edits, preview)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_an_authors_third_paper_links_their_name_on_the_first_two(preview: bool) -> None:
    """Grace Hopper's third paper (paper-06) gives her a page, so the pages that show her first
    two (paper-02, paper-03: their own, their issues', their tags') link her name; declaring
    authors changes names and pages; deleting her third paper takes her page away again."""
    check_edits([("authors", 2), ("authors", 3), ("authors", 12), ("authors", 6), ("authors.yaml", 1),
                 ("authors.yaml", 0), ("delete", 6)], preview)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_an_override_that_reads_the_model_sees_every_edit(preview: bool) -> None:
    """The case a hand-written key missed: a paper page that shows another paper's title
    (paper-07 is the newest paper)."""
    check_edits([("paper override", 1), ("title", 7), ("title", 5), ("date", 20)], preview)


@pytest.mark.parametrize("preview", [False, True], ids=["build", "preview"])
def test_every_kind_of_edit_in_one_sequence(preview: bool) -> None:
    check_edits([(kind, 11) for kind in sorted(EDITS)], preview)


def test_pages_made_early_are_the_pages_the_build_makes() -> None:
    """A preview makes the pages on screen early after an edit that keeps every paper in its
    place (a title, a note, what orders an issue) or an intro's text, the same as the build
    after it, for pages of the default theme and of overrides; never after an edit that moves
    a paper, adds a file, changes an intro's title or publishing keys or changes the theme,
    nor once a day has begun since the last build, nor for a page that reads `model`."""
    edits = [("title", 3), ("note", 5), ("standing", 4), ("standing", 6), ("intro text", 1), ("date", 20),
             ("tags", 5), ("add", 1), ("title", 40), ("card override", 2), ("title", 3), ("tag override", 1),
             ("intro", 1), ("intro text", 2), ("later note", 3), ("authors", 3), ("title", 7), ("note", 8),
             ("paper override", 1), ("title", 9), ("note", 2)]
    made = check_edits(edits, True)
    for (kind, _), count in zip(edits, made):
        if kind in ("title", "note", "standing", "intro text"):
            assert count >= 3, str(made)  # its page, its issue's, its tags' (and the home page, maybe)
        else:
            assert count == 0, str(made)
    assert made[-1] < made[0]  # once paper pages read `model`, they wait for the build


def test_only_pages_that_read_the_model_are_rendered_every_time() -> None:
    """The default theme's paper, issue and tag pages stay keyed (kept while unchanged); with a
    paper.html override that reads model.papers, the paper pages are rendered at every build."""
    with _environment(False), tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        digest, writer = _start(), Writer(site)
        writer.sync(digest)
        build(site)
        keys = cache_mod.Cache(site).state(site / "public").pages
        assert sum(path.startswith(("papers/", "issues/", "tags/")) for path in keys) > 20
        assert UNTRACKED not in keys.values()
        _paper_override(digest, 1)
        writer.sync(digest)
        build(site)
        keys = cache_mod.Cache(site).state(site / "public").pages
        marked = sorted(path for path, key in keys.items() if key == UNTRACKED)
        assert len(marked) > 5 and marked == sorted(
            path for path in keys if path.startswith("papers/") and path.endswith("/index.html")
        )
        again = build(site)  # nothing changed: the whole build is skipped
        assert again.stats.written == 0
        _title(digest, 3)
        writer.sync(digest)
        assert build(site).stats.written > len(marked)  # every paper page, and more
