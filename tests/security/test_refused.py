"""Classes 2-5: bad links, YAML, text hazards and paths are refused cleanly, leaving public/ as it was.

Each case adds one hostile file to a copy of a built site and asserts: exit 1 (2 for site.yaml),
only `path:line:col: field: message` lines, no traceback, the previous output byte-identical,
and no temporary folders left behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from digestgen.yamlio import MAX_FILE_BYTES

from .security_helpers import SITE_YAML, assert_refused, build, refused_build, tree, write

HEAD = '---\ntitle: "Hostile"\ndate: 2025-11-20\n'
P = "content/papers/2511.99999.md"


def paper(extra: str, body: str = "") -> str:
    return HEAD + extra + ("\n" if extra and not extra.endswith("\n") else "") + "---\n" + body


# --- class 2: link fields ---------------------------------------------------------------

BAD_URLS = [
    "javascript:alert(1)", "JavaScript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
    "//evil.example/", "https:evil.example", "https:/evil.example", "https:///evil.example", "http://",
    "ftp://example.org/", "file:///etc/passwd", "https://exa mple.org/", "https://example.org/\\u0007",
    "https://example.org/\\t", " https://example.org/", "https://example.org/\\u200b", "https://example.org\\u202e/gro",
    "https://user:secret@example.org/", "https://user@example.org/", "https://example.org:99999/", "example.org",
    "/relative/path", "https://example.org\\\\@evil.example/",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_paper_link_refused(site: Path, url: str) -> None:
    write(site, P, paper(f'links:\n  code: "{url}"'))
    refused_build(site, 1, [(f"{P}:5:", "links.code", "")])


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "//evil.example/x.png",
        "https://user:pw@example.org/x.png",
        "../../etc/passwd",
        "/etc/passwd",
        "static/../site.yaml",
        "C:\\\\x.png",
        "data:image/png;base64,AAAA",
    ],
)
def test_paper_image_refused(site: Path, url: str) -> None:
    write(site, P, paper(f'image: "{url}"\nimage_alt: "A figure"'))
    run = refused_build(site, 1)
    assert any(m["path"] == P and m["field"] == "image" for m in run.problems), run.err


@pytest.mark.parametrize("key, value", [
    ("base_url", "javascript:alert(1)"), ("base_url", "//evil.example/"), ("base_url", "https://u:p@example.org/"),
    ("base_url", "https:example.org"), ("base_url", "https://exa mple.org/"),
])
def test_site_url_refused(site: Path, key: str, value: str) -> None:
    text = SITE_YAML.replace("base_url: https://digest.example.org/\n", "") + f'{key}: "{value}"\n'
    write(site, "site.yaml", text)
    refused_build(site, 2, [("site.yaml:", key, "")])


@pytest.mark.parametrize("block, field", [
    ('nav:\n  - title: X\n    url: "javascript:alert(1)"\n', "nav.0.url"),
    ('nav:\n  - title: X\n    url: "//evil.example/"\n', "nav.0.url"),
    ('nav:\n  - title: X\n    url: "/a/../../etc/"\n', "nav.0.url"),
    ('subscribe:\n  url: "javascript:alert(1)"\n', "subscribe.url"),
    ('author:\n  name: X\n  url: "vbscript:x"\n', "author.url"),
])
def test_site_nested_url_refused(site: Path, block: str, field: str) -> None:
    write(site, "site.yaml", SITE_YAML + block)
    run = refused_build(site, 2)
    assert any(m["path"] == "site.yaml" and m["field"].startswith(field.split(".")[0]) for m in run.problems), run.err


# --- class 3: YAML ------------------------------------------------------------------------


def test_python_tags_never_run(site: Path, tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    write(site, P, paper(
        f'tldr: !!python/object/apply:os.system ["touch {sentinel}"]\n'
        f'abstract: !!python/object/apply:builtins.open ["{sentinel}", "w"]\n'
        f'note2: !!python/name:os.system\n'))
    write(site, "content/papers/x.yaml", f'!!python/object/new:os.system ["touch {sentinel}"]\n')
    run = refused_build(site, 1, [(f"{P}:4:7", "tldr", "not allowed")])
    assert not sentinel.exists()
    assert "content/papers/x.yaml" in run.err


def test_alias_bomb_is_refused_fast(site: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    write(site, P, HEAD + "authors: *a9\n" + "\n".join("x" + line for line in lines) + "\n---\n")
    started = time.process_time()
    run = refused_build(site, 1)
    assert time.process_time() - started < 1.0
    assert "alias" in run.err.lower() or "anchor" in run.err.lower()


YAML_CASES = {
    "anchor-alias": (paper('tldr: &t "x"\nsubmitted_by: *t'), (f"{P}:4:7", "(yaml)", "anchor")),
    "duplicate-key": (paper('tldr: "a"\ntldr: "b"'), (f"{P}:5:1", "tldr", "duplicate")),
    "tab-indent": (paper('authors:\n\t- "A"'), (f"{P}:5:", "(yaml)", "tab")),
    "list-document": ("- a\n- b\n", ("content/papers/2511.99998.yaml:1:1", "(document)", "list")),
    "scalar-document": ("just text\n", ("content/papers/2511.99998.yaml:1:1", "(document)", "single value")),
    "empty-document": ("", ("content/papers/2511.99998.yaml:1:1", "(document)", "empty")),
    "unclosed-front-matter": (HEAD + "tldr: x\n", (f"{P}:1:1", "(front matter)", "never closed")),
    "missing-front-matter": ("title: x\n", (f"{P}:1:1", "(front matter)", "---")),
    "yes-as-title": ('---\ntitle: yes\ndate: 2025-11-20\n---\n', (f"{P}:2:8", "title", 'quote it: "yes"')),
    "off-as-author": (paper("authors: [off]"), (f"{P}:4:11", "authors.0", "quote")),
    "on-as-upvotes": (paper("upvotes: on"), (f"{P}:4:10", "upvotes", "whole number")),
    "float-arxiv": (paper("arxiv: 2511.11002"), (f"{P}:4:8", "arxiv", 'quote the id: arxiv: "2511.11002"')),
    "float-arxiv-trailing-zero": (paper("arxiv: 2511.10"), (f"{P}:4:8", "arxiv", "quote the id")),
    "sexagesimal-int": (paper("rank: 1:20"), (f"{P}:4:7", "rank", "base-60")),
    "sexagesimal-title": ('---\ntitle: 12:30\ndate: 2025-11-20\n---\n', (f"{P}:2:8", "title", "base-60")),
    "octal-int": (paper("upvotes: 017"), (f"{P}:4:10", "upvotes", "octal")),
    "impossible-date": ('---\ntitle: "x"\ndate: 2025-02-30\n---\n', (f"{P}:3:7", "date", "not a real date")),
    "impossible-published": (paper("published: 2025-13-01"), (f"{P}:4:12", "published", "")),
    "quoted-impossible-date": ('---\ntitle: "x"\ndate: "2025-02-30"\n---\n', (f"{P}:3:7", "date", "not a real date")),
    "quoted-month-13": (paper('published: "2025-13-01"'), (f"{P}:4:12", "published", "not a real date")),
    "word-as-date": ('---\ntitle: "x"\ndate: yesterday\n---\n', (f"{P}:3:7", "date", "'yesterday' is not a date")),
    "number-as-date": ('---\ntitle: "x"\ndate: 20251120\n---\n', (f"{P}:3:7", "date", "not the number 20251120")),
    "empty-date": ('---\ntitle: "x"\ndate:\n---\n', (f"{P}:3:", "date", "is empty")),
    "unknown-key": (paper('titel: "x"'), (f"{P}:4:1", "titel", "did you mean")),
    "merge-key": (paper('<<: {tldr: "x"}'), (P, "(document)", "merge")),
    "custom-tag": (paper('tldr: !foo "x"'), (f"{P}:4:7", "tldr", "not allowed")),
    "set-tag": (paper('tags: !!set {a, b}'), (f"{P}:4:7", "tags", "not allowed")),
    "binary-tag": (paper('tldr: !!binary aGVsbG8='), (f"{P}:4:7", "tldr", "not allowed")),
    "null-title": ('---\ntitle:\ndate: 2025-11-20\n---\n', (f"{P}:2:", "title", "empty")),
    "deep-flow-nesting": (paper("authors: " + "[" * 5000), (P, "(yaml)", "")),
    "note-in-md-front": (paper('note: "x"'), (f"{P}:4:1", "note", "body")),
}


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_yaml_refused(site: Path, case: str) -> None:
    text, (where, field, message) = YAML_CASES[case]
    rel = "content/papers/2511.99998.yaml" if where.startswith("content/papers/2511.99998.yaml") else P
    write(site, rel, text)
    refused_build(site, 1, [(where, field, message)])


def test_non_utf8_reported_with_line(site: Path) -> None:
    write(site, P, paper('tldr: "caf\xe9"').encode("utf-8").replace("caf\xc3\xa9".encode("latin-1"), b"caf\xe9"))
    refused_build(site, 1, [(f"{P}:4:11", "(file)", "UTF-8")])


def test_file_over_size_cap(site: Path) -> None:
    write(site, P, paper("", "x" * (MAX_FILE_BYTES + 10)))
    refused_build(site, 1, [(f"{P}:1:1", "(file)", f"{MAX_FILE_BYTES:,}")])


def test_bom_and_crlf_are_accepted(site: Path) -> None:
    write(
        site,
        P,
        b"\xef\xbb\xbf" + paper('tldr: "fine"\narxiv: "2511.99999"', "A note.\n").replace("\n", "\r\n").encode(),
    )
    run = build(site)
    assert run.code == 0, run.err
    page = (site / "public" / "papers" / "2511.99999" / "index.html").read_text("utf-8")
    assert "A note." in page and "\r" not in page


@pytest.mark.parametrize("value, day", [
    ("2025-11-20 23:30:00", "2025-11-20"),  # naive: the written day, in the site's timezone
    ('"2025-11-20"', "2025-11-20"),  # quoted, as editors, YAML libraries and bots write it
    ("'2025-11-20'", "2025-11-20"),
    ('"2025-11-20T23:30:00-05:00"', "2025-11-21"),
    ("2025-11-20T23:30:00+00:00", "2025-11-20"),  # aware: converted to the site timezone (UTC here)
    ("2025-11-20T23:30:00-05:00", "2025-11-21"),
])
def test_datetimes_become_site_local_dates(site: Path, value: str, day: str) -> None:
    write(site, P, f'---\ntitle: "Timed"\ndate: {value}\npublished: {value}\narxiv: "2511.99999"\n---\n')
    run = build(site)
    assert run.code == 0, run.err
    page = (site / "public" / "papers" / "2511.99999" / "index.html").read_text("utf-8")
    assert f'datetime="{day}"' in page


# --- class 4: text hazards ----------------------------------------------------------------

CONTROL = ["\\0", "\\a", "\\b", "\\v", "\\f", "\\e", "\\x1f", "\\uFFFE", "\\uFFFF", "\\uD800", "\\uDFFF"]


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["title", "tldr", "abstract", "submitted_by", "authors"])
def test_control_characters_refused_with_field(site: Path, char: str, field: str) -> None:
    value = f'"a{char}b"'
    text = paper(f"{field}: [{value}]" if field == "authors" else f"{field}: {value}") if field != "title" \
        else f'---\ntitle: {value}\ndate: 2025-11-20\n---\n'
    write(site, P, text)
    run = refused_build(site, 1)
    if char.startswith("\\uD"):  # a lone surrogate cannot even be decoded: the YAML reader refuses it in place
        assert any(m["path"] == P and m["field"] == "(yaml)" and "escape" in m["message"] for m in run.problems), (
            run.err
        )
    else:
        assert any(
            m["path"] == P and m["field"].split(".")[0] == field and "U+" in m["message"] for m in run.problems
        ), run.err


@pytest.mark.parametrize("raw", ["\x00", "\x07", "\x1b[31m", "\x0b", "\ufffe", "\uffff"])
def test_raw_control_characters_refused_with_field_and_position(site: Path, raw: str) -> None:
    write(site, P, paper(f'tldr: "ok {raw} here"'))
    refused_build(site, 1, [(f"{P}:4:11", "tldr", f"U+{ord(raw[0]):04X}")])


@pytest.mark.parametrize("where, body, field", [
    (P, "note line\nbad \x1b[2J here\n", "note"),
    (P, "x\x00y", "note"),
    ("content/pages/about.md", "about \x07", "body"),
    ("content/issues/2025-W47.md", "intro \ufffe", "intro"),
])
def test_control_characters_in_markdown_bodies(site: Path, where: str, body: str, field: str) -> None:
    write(site, where, ('---\ntitle: "T"\n' if "papers" not in where else HEAD) + "---\n" + body)
    run = refused_build(site, 1)
    assert any(m["path"] == where and m["field"] == field and "U+" in m["message"] for m in run.problems), run.err


INVISIBLE = ["\u202e", "\u200b", "\u200d", "\u2066", "\ufeff", "\u00ad", "\u0430"]  # last: Cyrillic a


@pytest.mark.parametrize("char", INVISIBLE)
def test_bidi_and_zero_width_refused_in_tags(site: Path, char: str) -> None:
    write(site, P, paper(f'tags: ["sa{char}fety"]'))
    run = refused_build(site, 1, [(f"{P}:4:", "tags.0", "not a valid slug")])
    if char != "\u0430":  # invisible characters are shown escaped
        assert char not in run.err


@pytest.mark.parametrize("char", INVISIBLE)
def test_bidi_and_zero_width_refused_in_ids_and_slugs(site: Path, char: str) -> None:
    write(site, f"content/papers/25{char}11.md", paper('tldr: "x"'))
    write(site, f"content/pages/ab{char}out.md", '---\ntitle: "About"\n---\nhi\n')
    run = refused_build(site, 1)
    fields = {(m["path"].split("/")[1], m["field"]) for m in run.problems}
    assert ("papers", "id") in fields and ("pages", "slug") in fields, run.err
    if char != "\u0430":
        assert char not in run.err


def test_bidi_in_issue_key_refused(site: Path) -> None:
    write(site, P, paper('issue: "2025-W47\u202e"'))
    refused_build(site, 1, [(f"{P}:4:", "issue", "not a weekly issue key")])


@pytest.mark.parametrize("value", ['"\\e[2J\\e[31mred"', '"\\e]0;owned\\a"', '"\\x9b31m"', '"\\u202egnp.exe"'])
def test_escape_sequences_never_reach_the_terminal(site: Path, value: str) -> None:
    write(site, P, paper(f"tldr: {value}\n{value}: 1\ntags: [{value}]\nlinks: {{code: {value}}}"))
    run = refused_build(site, 1)
    for bad in ("\x1b", "\x9b", "\x07", "\u202e"):
        assert bad not in run.err
    assert "U+001B" in run.err or "U+009B" in run.err or "U+202E" in run.err or "\\u" in run.err


def test_escape_sequences_in_file_names_never_reach_the_terminal(site: Path) -> None:
    write(site, "content/papers/\x1b[31mred.md", paper('tldr: "x"'))
    run = refused_build(site, 1)
    assert "\x1b" not in run.err and "\\u001b" in run.err


# --- class 5: names that could escape a folder -----------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "a/b",
        "..",
        "../etc",
        "a\\\\b",
        "%2e%2e",
        "a%2fb",
        "con",
        "nul",
        "com1",
        "lpt9",
        "aux",
        "a.",
        "UPPER",
        "-lead",
        "a b",
        "a\\nb",
        "a\\u0000b",
        "a" * 101,
        "",
    ],
)
def test_bad_tag_names_refused(site: Path, tag: str) -> None:
    write(site, P, paper(f'tags: ["{tag}"]'))
    run = refused_build(site, 1)
    assert any(m["path"] == P and m["field"].startswith("tags") for m in run.problems), run.err


@pytest.mark.parametrize("name", ["%2e%2e.md", "con.md", "nul.yaml", "com1.md", "aux.md", "trailing..md",
                                  "a\\b.md", "-x.md", "UPPER.md", "sp ace.md", "x" * 121 + ".md", "a..b.md"])
def test_bad_paper_ids_refused(site: Path, name: str) -> None:
    write(site, f"content/papers/{name}", paper('tldr: "x"'))
    run = refused_build(site, 1)
    assert any(m["field"] == "id" for m in run.problems), run.err


@pytest.mark.parametrize("name", ["con.md", "nul.md", "a..md", "Ab.md", "a.b.md", "sub/dir.md",
                                  "issues.md", "papers.md", "tags.md", "search.md", "assets.md", "404.md"])
def test_bad_page_slugs_refused(site: Path, name: str) -> None:
    write(site, f"content/pages/{name}", '---\ntitle: "P"\n---\nbody\n')
    run = refused_build(site, 1)
    assert any(m["field"] == "slug" for m in run.problems), run.err


@pytest.mark.parametrize("key", ["../2025-W47", "2025-W47/..", "2025-W99", "2025-W47\\n", "2025-w47", "x"])
def test_bad_issue_keys_refused(site: Path, key: str) -> None:
    write(site, P, paper(f'issue: "{key}"'))
    refused_build(site, 1, [(f"{P}:4:8", "issue", "not a weekly issue key")])


@pytest.mark.parametrize("where, target", [
    ("content/papers/passwd.md", "/etc/passwd"),
    ("content/papers/proc", "/proc/self"),
    ("content/papers/loop", "."),
    ("content/papers/up", ".."),
    ("content/pages/about.md", "/etc/hostname"),
    ("content/issues/2025-W47.md", "/etc/passwd"),
    ("content/tags.yaml", "/etc/passwd"),
    ("static/passwd", "/etc/passwd"),
    ("static/etc", "/etc"),
    ("static/loop", "."),
    ("static/deep/self", "../deep"),
    ("static", "/etc"),
    ("content", "/etc"),
])
def test_symlinks_refused(site: Path, where: str, target: str) -> None:
    link = site / where
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_dir() and not link.is_symlink():
        import shutil

        shutil.rmtree(link)
    os.symlink(target, link)
    run = refused_build(
        site, 1, [(where.split("/")[0] if where in ("static", "content") else where, "(file)", "symbolic link")]
    )
    assert "root:" not in run.err  # nothing of /etc/passwd is echoed


@pytest.mark.parametrize("files, clash", [
    ({"static/Index.html": "x"}, "static/Index.html"),
    ({"static/papers.JSON": "x"}, "static/papers.JSON"),
    ({"static/\uff49ndex.html": "x"}, "static/\uff49ndex.html"),  # fullwidth i: NFKC folds it to index.html
    ({"static/papers/2511.00001/index.html": "x"}, "static/papers/2511.00001/index.html"),
    ({"static/Papers/2511.00001/INDEX.html": "x"}, "static/Papers/2511.00001/INDEX.html"),
    ({"static/feed.xml": "x"}, "static/feed.xml"),
    ({"static/ta\u0300gs/index.html": "x", "static/t\u00e0gs/index.html": "y"}, "static/t"),  # NFC vs NFD
])
def test_two_sources_for_one_url_refused(site: Path, files: dict[str, str], clash: str) -> None:
    for rel, text in files.items():
        write(site, rel, text)
    run = refused_build(site, 1)
    assert any(m["path"].startswith(clash) or clash in m["path"] for m in run.problems), run.err


def test_paper_md_and_yaml_with_one_id_refused(site: Path) -> None:
    write(site, "content/papers/2025/dup.md", paper('arxiv: "2511.11111"'))
    write(site, "content/papers/2026/dup.yaml", 'title: "Dup"\ndate: 2025-11-20\narxiv: "2511.22222"\n')
    refused_build(site, 1, [("content/papers/2026/dup.yaml:1:1", "id", "already used")])


def test_static_name_with_newline_refused(site: Path) -> None:
    write(site, "static/a\nb.txt", "x")
    run = refused_build(site, 1)
    assert any(m["field"] == "(file)" for m in run.problems), run.err


def test_build_reads_nothing_outside_the_site(site: Path, tmp_path: Path) -> None:
    """Relative links and image paths that climb out of static/ never pull in or touch outside files."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", "utf-8")
    write(
        site, P, paper('arxiv: "2511.99999"', f"[s](/../../secret.txt) ![i](../../secret.txt) [t](file://{secret})\n")
    )
    outside = {k: v for k, v in tree(tmp_path).items() if not k.startswith("site/")}
    run = build(site)
    assert run.code == 0, run.err
    assert all(b"TOPSECRET" not in p.read_bytes() for p in (site / "public").rglob("*") if p.is_file())
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith("site/")} == outside


@pytest.mark.parametrize("rel, text, active", [
    ("static/page.html", "<script>alert(1)</script>", True),
    ("static/app.js", "alert(1)", True),
    ("static/logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', True),
    ("static/x.svg", '<svg><script>alert(1)</script></svg>', True),
    ("static/plain.svg", '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>', False),
    ("static/figure.png", "\x89PNG", False),
])
def test_active_static_files_are_flagged_and_strict_refuses(site: Path, rel: str, text: str, active: bool) -> None:
    write(site, rel, text)
    run = build(site)
    assert run.code == 0, run.err
    flagged = [m for m in run.problems if m["path"] == rel and "script" in m["message"]]
    assert bool(flagged) is active, run.err
    if active:
        before = tree(site / "public")
        strict = build(site, "--strict")
        assert_refused(site, strict, before, 1, [(rel, "(file)", "review")])


@pytest.mark.parametrize("brk", ["\\r", "\\n", "\\x85", "\\u2028", "\\u2029"])
@pytest.mark.parametrize("where, text, field", [
    (P, '---\ntitle: "Paper{b}Bcc: victim@example.org"\ndate: 2025-11-20\n---\n', "title"),
    (P, paper('authors: ["A{b}B"]'), "authors.0"),
    (P, paper('tldr: "x{b}Subject: y"'), "tldr"),
    (P, paper('submitted_by: "x{b}y"'), "submitted_by"),
    ("content/issues/2025-W47.md", '---\ntitle: "Week{b}Bcc: victim@example.org"\n---\nintro\n', "title"),
    ("content/pages/about.md", '---\ntitle: "About{b}x"\n---\nbody\n', "title"),
    ("content/tags.yaml", 'safety:\n  name: "Safety{b}x"\n', "safety.name"),
])
def test_line_breaks_in_one_line_fields_refused(site: Path, brk: str, where: str, text: str, field: str) -> None:
    """A CR in a title would otherwise reach email headers (Subject) and plain-text editions."""
    write(site, where, text.replace("{b}", brk))
    refused_build(site, 1, [(where, field, "one line")])


def test_line_break_in_site_title_refused(site: Path) -> None:
    write(site, "site.yaml", SITE_YAML.replace("title: Security Digest", 'title: "Digest\\rBcc: victim@example.org"'))
    refused_build(site, 2, [("site.yaml:1:8", "title", "one line")])


def test_github_annotations_cannot_be_forged(site: Path) -> None:
    """`check --format github` output is read by the Actions runner: content must not start a command."""
    from .security_helpers import run_cli

    write(
        site,
        P,
        paper('"\\n::warning::forged": 1\ntags: ["a\\r\\n::add-mask::secret"]\ntldr: "x\\n::stop-commands::tok"'),
    )
    write(site, "content/papers/b\n::set-output name=x::y.md", paper('tldr: "x"'))
    run = run_cli("check", "--site", str(site), "--format", "github")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines and all(line.startswith(("::error file=", "::warning file=", "digestgen:")) for line in lines), run.out
    assert sum(line.startswith("::") for line in lines) == len([m for m in lines if not m.startswith("digestgen:")])


@pytest.mark.parametrize("value", ["0001-01-01", "0999-12-31", "9999-12-31", "9001-01-01", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-12:00", '"0999-12-31"', "'9999-12-31T23:59:59-12:00'"])
@pytest.mark.parametrize("field", ["date", "published"])
def test_dates_at_the_edge_of_the_calendar_refused(site: Path, value: str, field: str) -> None:
    """Week numbers, time zones and feed timestamps overflow near year 1 and 9999."""
    text = f'---\ntitle: "Edge"\ndate: {value}\n---\n' if field == "date" else paper(f"published: {value}")
    write(site, P, text)
    refused_build(site, 1, [(P, field, "must be between")])


@pytest.mark.parametrize("key", ["9999-W52", "0000-W01", "9999-W53"])
def test_issue_keys_at_the_edge_of_the_calendar_refused(site: Path, key: str) -> None:
    write(site, P, paper(f'issue: "{key}"'))
    write(site, f"content/issues/{key}.md", '---\ntitle: "Edge"\n---\nintro\n')
    run = refused_build(site, 1)
    assert any(m["field"] in ("issue", "key") for m in run.problems), run.err


@pytest.mark.parametrize(
    "url",
    [
        'https://example.org/"><script>x</script>',
        "https://example.org/<x>",
        "https://example.org/a`b",
        "https://example.org/a\\\\b",
    ],
)
def test_url_characters_that_could_break_out_of_markup_refused(site: Path, url: str) -> None:
    write(site, P, paper(f"links:\n  code: {url!r}".replace("\\\\\\\\", "\\\\")))
    refused_build(site, 1, [(f"{P}:5:", "links.code", "must not contain")])


def test_feed_id_domain_with_a_trailing_newline_refused(site: Path) -> None:
    write(site, "site.yaml", SITE_YAML + 'feeds:\n  id_domain: "example.org\\n"\n')
    refused_build(site, 2, [("site.yaml:", "feeds.id_domain", "not a domain name")])
