"""Class 8, property tests: arbitrary text never yields a traceback; arbitrary Markdown never yields script."""

from __future__ import annotations

import json
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digestgen.markdown import render

from .security_helpers import (
    MARKER,
    PROBLEM_LINE,
    SUMMARY_LINE,
    Raw,
    build,
    front_matter,
    make_site,
    pinned_env,
    scan_html,
    scan_output,
    write,
    yq,
)

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # every code point, surrogates included
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
NASTY = st.sampled_from(
    [
        "<script>",
        "</script>",
        '"',
        "'",
        "&",
        "&amp;",
        "]]>",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufffe",
        "\u2028",
        "\ud800",
        "javascript:",
        "{{",
        "{%",
        "$",
        "\\",
        "\n",
        "\r",
        "\t",
        " ",
        "yes",
        "1:20",
        "2511.1",
        "null",
        "~",
        "#",
        ": ",
        "- ",
        "*",
        "|",
        ">",
        "<!--",
        "\u0000",
        "é",
        "😀",
        "𝒳",
    ]
)
TEXT = st.one_of(ANY_TEXT, st.lists(st.one_of(NASTY, ANY_TEXT), max_size=8).map("".join))

PAPER_FIELDS = ["title", "author", "tldr", "abstract", "submitted_by", "image_alt", "note", "link", "doi", "arxiv",
                "issue", "tag", "site_title", "site_description", "page_title", "page_body", "tag_name", "intro"]


class _Strict(HTMLParser):
    """html.parser that records anything it could not make sense of."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []

    def unknown_decl(self, data: str) -> None:
        self.errors.append(data)


def _site(root: Path, values: dict[str, str]) -> None:
    v = {k: values.get(k) for k in PAPER_FIELDS}
    site_yaml = "\n".join([
        f"title: {yq(v['site_title'])}" if v["site_title"] is not None else "title: Property digest",
        *([f"description: {yq(v['site_description'])}"] if v["site_description"] is not None else []),
        "base_url: https://digest.example.org/", "search: false", "timezone: UTC", ""])
    make_site(root, site_yaml=site_yaml)
    fields: dict[str, object] = {
        "title": v["title"] if v["title"] is not None else "Property paper",
        "date": Raw("2025-11-22"),
        "arxiv": v["arxiv"] if v["arxiv"] is not None else "2511.00077",
    }
    if v["author"] is not None:
        fields["authors"] = ["Known Author", v["author"]]
    for key in ("tldr", "abstract", "submitted_by", "doi", "issue"):
        if v[key] is not None:
            fields[key] = v[key]
    if v["image_alt"] is not None:
        fields["image"], fields["image_alt"] = "https://example.org/figure.png", v["image_alt"]
    if v["link"] is not None:
        fields["links"] = {"code": v["link"]}
    if v["tag"] is not None:
        fields["tags"] = [v["tag"]]
    write(root, "content/papers/2511.00077.md", front_matter(fields, v["note"] or ""))
    if v["page_title"] is not None or v["page_body"] is not None:
        write(root, "content/pages/about.md", front_matter({"title": v["page_title"] or "About"}, v["page_body"] or ""))
    if v["tag_name"] is not None:
        write(root, "content/tags.yaml", f"safety:\n  name: {yq(v['tag_name'])}\n")
    if v["intro"] is not None:
        write(root, "content/issues/2025-W47.md", front_matter({"title": "Week"}, v["intro"]))


def _check(values: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, pinned_env():
        root = Path(tmp) / "site"
        _site(root, values)
        run = build(root)  # an exception escaping digestgen fails here
        assert "Traceback" not in run.err
        if run.code != 0:
            assert run.code in (1, 2), run.err
            for line in run.err.splitlines():
                assert PROBLEM_LINE.match(line) or SUMMARY_LINE.match(line), repr(line)
            assert not (root / "public").exists()  # a failed first build publishes nothing
            return
        out = root / "public"
        for page in out.rglob("*.html"):
            parser = _Strict()
            parser.feed(page.read_text("utf-8"))
            parser.close()
            assert parser.errors == [], page
        feeds = [p for p in out.rglob("*.xml") if p.name in ("feed.xml", "rss.xml")]
        assert feeds
        for feed in feeds:
            parsed = feedparser.parse(feed.read_bytes())
            assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))
        if (out / "feed.json").is_file():
            feed_json = json.loads((out / "feed.json").read_text("utf-8"))  # feedparser reads only XML
            assert feed_json["version"].startswith("https://jsonfeed.org/version/1")
        assert scan_output(out) == []


SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(st.sampled_from(PAPER_FIELDS), TEXT)
def test_any_text_in_one_field_is_a_clean_error_or_a_valid_site(field: str, text: str) -> None:
    _check({field: text})


@settings(SETTINGS, max_examples=20)
@given(st.fixed_dictionaries({}, optional={k: TEXT for k in PAPER_FIELDS}))
def test_any_text_in_every_field_is_a_clean_error_or_a_valid_site(values: dict[str, str]) -> None:
    _check(values)


MD_PIECES = st.sampled_from([
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<a href='javascript:x'>",
    "javascript:", "JaVa\tScRiPt:", "&#106;", "&#x6a;", "&colon;", "java&#10;script:", "vbscript:", "data:text/html,",
    "%6a", "[", "]", "(", ")", "<", ">", "!", "\"", "'", "`", "$", "$$", "\\", "*", "_", "~~", "|", "#", "- ", "1. ",
    "\n", "\n\n", "    ", "\t", "[x]: ", "[^1]", "[^1]: ", "<http://a.b/>", "www.", "https://", "mailto:", "//",
    "\\href{javascript:alert(1)}{x}", "\\text{<b>}", "onerror=", " on", "=", "&", ";", MARKER, "alert(1)",
])
MARKDOWN = st.one_of(st.lists(st.one_of(MD_PIECES, st.text(ANY_CHAR, max_size=5)), max_size=40).map("".join),
                     st.text(ANY_CHAR, max_size=200))


@settings(max_examples=400, deadline=None, database=None)
@given(MARKDOWN)
def test_any_markdown_note_renders_without_script_handlers_or_javascript_urls(text: str) -> None:
    html = render(text, doc_id="p").html
    assert scan_html(html, "note") == []
    assert not re.search(r"<script|<\w[^>]*\son\w+\s*=", html, re.IGNORECASE)
    for href in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert not re.match(r"\s*(javascript|vbscript|data):", re.sub(r"[\x00-\x20]", "", href), re.IGNORECASE)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    title=TEXT,
    authors=st.lists(TEXT, max_size=3),
    abstract=st.one_of(st.none(), TEXT),
    category=st.one_of(st.none(), TEXT),
    link=TEXT,
)
def test_imported_metadata_cannot_add_fields_to_an_entry(
    title: str, authors: list[str], abstract: str | None, category: str | None, link: str
) -> None:
    """`new`/`import` write API answers (strangers' titles and abstracts) into YAML: they stay values."""
    import datetime as dt

    from digestgen import entries
    from digestgen.sources import PaperMeta
    from digestgen.yamlio import load_mapping, split_front_matter

    meta = PaperMeta(arxiv="2511.00001", title=title or "t", authors=authors, abstract=abstract, category=category,
                     links={"code": link})
    try:
        text = entries.entry_text(dt.date(2025, 11, 20), meta)
    except (ValueError, UnicodeError):
        return  # refusing to write such metadata is fine
    problems: list = []
    parts = split_front_matter(text, "x.md", problems)
    assert parts is not None, problems
    front, body, _ = parts
    assert body.strip() == ""  # nothing leaked below the front matter
    doc = load_mapping(front, "x.md", 1, problems)
    if doc is None or problems:
        return  # e.g. a control character: the curator gets a clean error at check time
    assert set(doc.data) <= {
        "title",
        "date",
        "authors",
        "arxiv",
        "doi",
        "published",
        "tags",
        "upvotes",
        "links",
        "abstract",
    }
    assert doc.data["title"] == (title or "t")
    assert doc.data.get("links", {}) == {"code": link}


RAW_SCALAR = st.one_of(
    st.dates().map(str), st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(str),
    st.integers().map(str), st.floats(allow_nan=True).map(str),
    st.text(alphabet="0123456789-:T+ .eE_xobWZ~", min_size=1, max_size=25),
    st.sampled_from(["yes", "no", "on", "off", "~", "null", ".inf", "-.nan", "0o17", "0x1F", "1:20", "190:20:30"]))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["date", "published", "upvotes", "rank", "featured", "draft", "issue", "arxiv"]),
    RAW_SCALAR,
    st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"]),
    st.sampled_from(["weekly", "daily", "monthly"]),
)
def test_any_plain_scalar_in_typed_fields_is_a_clean_error_or_a_valid_site(
    field: str, raw: str, tz: str, cadence: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp, pinned_env():
        root = Path(tmp) / "site"
        make_site(
            root, site_yaml=f"title: T\nbase_url: https://e.org/\nsearch: false\ntimezone: {tz}\ncadence: {cadence}\n"
        )
        fields = {"title": "Typed", "date": Raw("2025-11-20"), "arxiv": "2511.00077", field: Raw(raw)}
        write(root, "content/papers/2511.00077.md", front_matter(fields, "n"))
        run = build(root, "--future", "--drafts")
        assert "Traceback" not in run.err and run.code in (0, 1), run.err
        for line in run.err.splitlines():
            assert PROBLEM_LINE.match(line) or SUMMARY_LINE.match(line), repr(line)
