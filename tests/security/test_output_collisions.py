"""No id, slug, key or static file can put an output where another output goes.

The names tried are generated from every file of real builds (each cadence, tags over
several pages, a static file, the search index, a split sitemap): for each place where
content names a folder (papers/<id>/, tags/<slug>/, issues/<key>/, <page slug>/), every
file the build writes there, and every folder holding the page such an entry would write,
becomes the name of an entry, which `check --strict` must refuse at the entry's file, and
which no build may choke on.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from digestgen import exports
from digestgen.schema import ID_RE, ISSUE_KEY_RE, SLUG_RE

from .security_helpers import GOOD_PAPER, build, run_cli, tree, write

BASIC = Path(__file__).resolve().parent.parent / "sites" / "basic"

# where content names a folder, with the pattern its names must match
PLACES = {"papers": "paper", "tags": "tag", "issues": "issue", "": "page"}


def _site(root: Path, cadence: str) -> Path:
    shutil.copytree(BASIC, root)
    text = (root / "site.yaml").read_text("utf-8")
    text = text.replace("search: false", "search: true").replace("cadence: weekly", f"cadence: {cadence}")
    (root / "site.yaml").write_text(text, "utf-8")
    write(root, "static/downloads/notes.txt", "static file\n")
    if cadence != "weekly":  # the intro is named by a weekly key
        (root / "content/issues/2025-W47.md").unlink()
    return root


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module", params=sorted(ISSUE_KEY_RE))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A site built with each cadence and a sitemap split in parts: (site, every output path)."""
    root = _site(tmp_path_factory.mktemp(f"built-{request.param}") / "site", request.param)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1764400000")
        patch.setattr(exports, "SITEMAP_MAX_URLS", 4)
        run = build(root)
    assert run.code == 0, run.err
    return root, _files(root / "public")


def test_the_listing_of_outputs_is_what_a_build_writes(built: tuple[Path, set[str]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen.config import load_config
    from digestgen.layout import site_outputs
    from digestgen.load import load_site
    from digestgen.render import Renderer

    root, written = built
    monkeypatch.setattr(exports, "SITEMAP_MAX_URLS", 4)
    model, _ = load_site(load_config(root))
    outputs = list(site_outputs(model, list(Renderer(model).routes())))
    files = {o.path for o in outputs if not o.folder}
    folders = [o.path + "/" for o in outputs if o.folder]
    assert folders == ["pagefind/"]
    assert any(name.startswith("sitemap-") for name in files)
    assert files == {name for name in written if not name.startswith(tuple(folders))}


def _candidates(written: set[str]) -> set[tuple[str, str]]:
    """(kind, name) of every name under which a build writes, where content names a folder,
    a file (papers/feed.xml) or the page an entry of that kind would write (issues/index.html)."""
    found: set[tuple[str, str]] = set()
    for path in written:
        for place, kind in PLACES.items():
            parts = path.split("/")
            if place:
                if parts[0] != place:
                    continue
                parts = parts[1:]
            if len(parts) == 1 or parts[1:] == ["index.html"]:
                found.add((kind, parts[0]))
    return found


def _entry(root: Path, kind: str, name: str) -> str:
    """Write an entry of kind named name (a paper using a tag or an issue key); its path."""
    rel = {"paper": f"content/papers/{name}.md", "page": f"content/pages/{name}.md"}.get(
        kind, "content/papers/extra.md"
    )
    if kind == "page":
        write(root, rel, '---\ntitle: "A page"\n---\nText.\n')
        return rel
    tag = name if kind == "tag" else "vision"
    if kind == "tag":
        with open(root / "content/tags.yaml", "a", encoding="utf-8") as handle:
            handle.write(f"{name}: A tag\n")
    issue = f'issue: "{name}"\n' if kind == "issue" else ""
    write(
        root, rel, f'---\ntitle: "Another"\ndate: 2025-11-20\narxiv: "2511.99999"\ntags: [{tag}]\n{issue}---\nNote.\n'
    )
    return rel


VALID = {"paper": ID_RE, "page": SLUG_RE, "tag": SLUG_RE}


def test_every_name_the_build_writes_is_refused_as_an_entry_name(built: tuple[Path, set[str]], tmp_path: Path) -> None:
    root, written = built
    cadence = re.search(r"cadence: (\w+)", (root / "site.yaml").read_text()).group(1)  # type: ignore[union-attr]
    from digestgen.config import load_config
    from digestgen.load import load_site

    model, _ = load_site(load_config(root))
    made = {*(("paper", p.id) for p in model.papers), *(("page", p.slug) for p in model.pages),
            *(("tag", t) for t in model.tags), *(("issue", i.key) for i in model.issues)}
    tried = 0
    for kind, name in sorted(_candidates(written)):
        pattern = VALID.get(kind, ISSUE_KEY_RE[cadence])
        if (kind, name) in made or not pattern.fullmatch(name):
            continue  # an entry of the site itself, or a name refused as such (tested elsewhere)
        site = tmp_path / f"{kind}-{name}"
        shutil.copytree(root, site, symlinks=True)
        rel = _entry(site, kind, name)
        before = tree(site / "public")
        run = run_cli("check", "--strict", "--site", str(site))
        assert run.code == 1, f"{kind} {name!r} passed check:\n{run.out}{run.err}"
        lines = [line for line in run.err.splitlines() if line.startswith(f"{rel}:")]
        assert any(re.search(r" would (be published at|replace) /", line) for line in lines), run.err
        assert build(site).code == 1
        assert tree(site / "public") == before
        tried += 1
    assert tried, "no name of the build could be taken by an entry"


@pytest.mark.parametrize(
    "files, where",
    [
        (
            {"content/papers/feed.xml.md": GOOD_PAPER.replace("2511.00001", "2511.00002")},
            (
                "content/papers/feed.xml.md:1:1: id: paper id 'feed.xml' would be "
                "published at /papers/feed.xml/index.html, where the site itself "
                "writes /papers/feed.xml"
            ),
        ),
        (
            {"static/papers/2511.00001/index.html": "x"},
            (
                "static/papers/2511.00001/index.html:1:1: (file): static file "
                "would be published at /papers/2511.00001/index.html, where "
                "content/papers/2511.00001.md writes"
            ),
        ),
        (
            {"static/pagefind/x.js": "x"},
            (
                "static/pagefind/x.js:1:1: (file): static file would be published at "
                "/pagefind/x.js, where the site itself writes /pagefind/"
            ),
        ),
    ],
)
def test_collisions_are_named_at_their_sources(site: Path, files: dict[str, str], where: str) -> None:
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("search: false", "search: true"))
    for rel, text in files.items():
        write(site, rel, text)
    for command in ("check", "build"):
        run = run_cli(command, "--site", str(site))
        assert run.code == 1 and where in run.err, run.err
        assert ".tmp-" not in run.err and os.sep + "public" not in run.err
