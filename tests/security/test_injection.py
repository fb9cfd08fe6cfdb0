"""Class 1, markup injection: hostile text and Markdown build, and nothing executable comes out."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from digestgen.markdown import render, safe_link
from digestgen.render import builtin_theme, jsonld

from .security_helpers import (
    MARKDOWN_PAYLOADS,
    TEXT_PAYLOADS,
    Raw,
    build,
    hostile_site,
    pinned_env,
    run_cli,
    scan_html,
    scan_output,
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = hostile_site(tmp_path_factory.mktemp("hostile") / "site", search=True)
    with pinned_env():
        run = build(root)
        assert run.code == 0, run.err
        if "email" in run_cli("--help").out:  # the email edition (written to email/ in the site)
            mail = run_cli("email", "--site", str(root), "latest")
            assert mail.code == 0, mail.err
    return root


def test_hostile_site_builds_and_nothing_executable_reaches_any_output(hostile: Path) -> None:
    out = hostile / "public"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".html"]) >= len(MARKDOWN_PAYLOADS)
    assert scan_output(out, "/sub/") == []


def test_email_edition_is_scanned_too(hostile: Path) -> None:
    editions = list((hostile / "email").glob("*/email.html"))
    if "email" in run_cli("--help").out:
        assert editions
    for edition in editions:
        assert scan_html(edition.read_text("utf-8"), edition.name) == []


def test_payloads_are_shown_as_text_not_dropped(hostile: Path) -> None:
    page = (hostile / "public" / "papers" / "2511.10001" / "index.html").read_text("utf-8")
    assert "&lt;/script&gt;&lt;script&gt;alert(&#39;PWNED&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS, ids=range(len(MARKDOWN_PAYLOADS)))
def test_markdown_payload_is_inert(payload: str) -> None:
    html = render(payload, doc_id="t").html
    assert scan_html(html, "note") == []
    assert not re.search(r"<(script|iframe|svg|form|style|meta|object|embed|base|link)\b", html, re.IGNORECASE)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6a;avascript&colon;alert(1)",
        "java%09script:alert(1)",
        "%6A%61%76%61%73%63%72%69%70%74:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>",
        "DATA:text/html;base64,xx",
        "\x00javascript:alert(1)",
        "\u200bjavascript:alert(1)",
        "//evil.example/",
        "\\\\evil.example/",
        "/\\evil.example/",
        "jav&#x0A;ascript:alert(1)",
        "file:///etc/passwd",
        "feed:javascript:alert(1)",
    ],
)
def test_safe_link_refuses(url: str) -> None:
    assert not safe_link(url)


@pytest.mark.parametrize("url", ["https://example.org/", "http://example.org/a?b=c#d", "mailto:a@example.org",
                                 "/papers/x/", "papers/x/", "#section", "?q=1", "x.png"])
def test_safe_link_allows(url: str) -> None:
    assert safe_link(url)


@pytest.mark.parametrize("value", TEXT_PAYLOADS + ["</SCRIPT >", "<!--", "\u2028"])
def test_inline_json_cannot_break_out_of_its_script(value: str) -> None:
    text = str(jsonld({"name": value, "list": [value]}))
    assert "<" not in text and ">" not in text and "\u2028" not in text
    html = f'<script type="application/ld+json">{text}</script>'
    assert scan_html(html, "jsonld") == []


def test_values_reaching_javascript_go_through_tojson_or_data_attributes() -> None:
    """Inline <script> blocks in the theme never interpolate a value except through tojson/jsonld."""
    bad: list[str] = []
    for path in sorted((builtin_theme() / "templates").rglob("*.html")):
        source = path.read_text("utf-8")
        for block in re.finditer(r"<script\b[^>]*>(.*?)</script>", source, re.DOTALL | re.IGNORECASE):
            for expr in re.findall(r"\{\{(.*?)\}\}", block.group(1), re.DOTALL):
                if not re.search(r"\|\s*(tojson|jsonld)\s*(\(|$)", expr.strip()):
                    bad.append(f"{path.name}: {{{{{expr.strip()}}}}}")
    assert bad == []


# --- theme lint ---------------------------------------------------------------------------

SAFE_GLOBALS = {"csp_hash", "icon", "icons", "pagefind_ui", "theme_svg"}


def _template_sources() -> list[tuple[str, str]]:
    folder = builtin_theme() / "templates"
    return [(p.relative_to(folder).as_posix(), p.read_text("utf-8")) for p in sorted(folder.rglob("*")) if p.is_file()]


def safe_filter_misuse(source: str, name: str = "t") -> list[str]:
    """|safe (or Markup) on anything but an already-sanitised *_html field or a known-safe global."""
    env = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    tree = env.parse(source, name=name)
    found: list[str] = []
    for node in tree.find_all(nodes.Filter):
        if node.name != "safe":
            continue
        target = node.node
        ok = (
            (isinstance(target, nodes.Getattr) and target.attr.endswith("_html"))
            or (isinstance(target, nodes.Name) and (target.name.endswith("_html") or target.name in SAFE_GLOBALS))
            or (
                isinstance(target, nodes.Call)
                and isinstance(target.node, nodes.Name)
                and target.node.name in SAFE_GLOBALS
            )
        )
        if not ok:
            found.append(f"{name}:{node.lineno}: |safe on {type(target).__name__}")
    for modifier in [*tree.find_all(nodes.ScopedEvalContextModifier), *tree.find_all(nodes.EvalContextModifier)]:
        if any(option.key == "autoescape" for option in modifier.options):
            found.append(f"{name}:{modifier.lineno}: autoescape switched")
    return found


UNQUOTED = re.compile(r"""\s[a-zA-Z_:][-a-zA-Z0-9_:.]*=(?=\{[{%])""")


def unquoted_attributes(source: str, name: str = "t") -> list[str]:
    """attr={{ value }} without quotes lets a space in the value start a new attribute."""
    return [f"{name}:{source.count(chr(10), 0, m.start()) + 1}: {m.group().strip()}" for m in UNQUOTED.finditer(source)]


def test_theme_uses_safe_only_on_sanitised_html() -> None:
    problems = [p for name, src in _template_sources() if name.endswith((".html", ".xml", ".txt"))
                for p in safe_filter_misuse(src, name)]
    assert problems == []


def test_theme_quotes_every_attribute_value() -> None:
    problems = [p for name, src in _template_sources() if name.endswith((".html", ".xml"))
                for p in unquoted_attributes(src, name)]
    assert problems == []


@pytest.mark.parametrize("source, bad", [
    ("{{ paper.title | safe }}", True),
    ("{{ paper.note | safe }}", True),
    ("{{ (paper.title ~ '') | safe }}", True),
    ("{% autoescape false %}{{ x }}{% endautoescape %}", True),
    ("{{ paper.note_html | safe }}", False),
    ("{{ issue.intro.intro_html|safe }}", False),
])
def test_lint_catches_safe_misuse(source: str, bad: bool) -> None:
    assert bool(safe_filter_misuse(source)) is bad


@pytest.mark.parametrize("source, bad", [
    ('<a href={{ url }}>', True),
    ('<img alt={% if x %}a{% endif %}>', True),
    ('<a href="{{ url }}">', False),
    ("<a title='{{ t }}'>", False),
])
def test_lint_catches_unquoted_attributes(source: str, bad: bool) -> None:
    assert bool(unquoted_attributes(source)) is bad


JS_SINKS = re.compile(
    r"\.innerHTML\s*[+]?=|\.outerHTML\s*[+]?=|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\s*\(|"
    r"setTimeout\s*\(\s*['\"]|setInterval\s*\(\s*['\"]|\.setAttribute\s*\(\s*['\"]on|\.src\s*=\s*[a-z]|location\s*=|"
    r"location\.href\s*=|createContextualFragment"
)


def test_theme_scripts_never_build_html_from_data() -> None:
    """Search results and other script output are built from text nodes, never parsed as live HTML."""
    found = []
    for path in sorted((builtin_theme() / "static").rglob("*.js")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if JS_SINKS.search(line) and "security-reviewed" not in line:
                found.append(f"{path.name}:{number}: {line.strip()[:100]}")
    assert found == []


LATEX = r"\input{/etc/passwd}} @misc{evil, title={\immediate\write18{touch pwned}} \def\x{y} \catcode`\@=11 %"


def test_bibtex_exports_cannot_carry_latex_commands(site: Path) -> None:
    """A reader who pastes the BibTeX into a paper must not run anything the entry wrote."""
    from .security_helpers import front_matter, write

    write(site, "content/papers/2511.99999.md", front_matter(
        {"title": "Paper " + LATEX, "date": Raw("2025-11-20"), "arxiv": "2511.99999", "authors": [LATEX, "B } and C"],
         "doi": "10.1234/x}\\input{y}"}, "note"))
    run = build(site)
    assert run.code in (0, 1) and "Traceback" not in run.err
    if run.code == 1:  # the DOI may be refused; then check the entry without it
        write(
            site,
            "content/papers/2511.99999.md",
            front_matter(
                {
                    "title": "Paper " + LATEX,
                    "date": Raw("2025-11-20"),
                    "arxiv": "2511.99999",
                    "authors": [LATEX, "B } and C"],
                },
                "n",
            ),
        )
        run = build(site)
        assert run.code == 0, run.err
    texts = [p.read_text("utf-8") for p in (site / "public").rglob("*.bib")]
    page = (site / "public" / "papers" / "2511.99999" / "index.html").read_text("utf-8")
    block = re.search(r"<pre[^>]*>.*?@\w+\{.*?</pre>", page, re.DOTALL)
    assert block, "no BibTeX on the paper page"
    texts.append(html_lib.unescape(block.group()))
    assert any("2511.99999" in t for t in texts)
    for text in texts:
        for entry in re.findall(r"@\w+\{.*?\n\}\n", text, re.DOTALL):
            assert not re.search(r"(?<!\\textbackslash\{\})\\(input|include|write|immediate|openout|def|catcode)\b",
                                 entry.replace(r"\textbackslash{}", "")), entry
            depth = 0
            for ch in re.sub(r"\\[{}]", "", entry):
                depth += (ch == "{") - (ch == "}")
                assert depth >= 0, entry
            assert depth == 0, entry


def test_every_page_carries_a_script_policy_that_allows_only_the_theme(hostile: Path) -> None:
    """A second wall: even markup that slipped through could run no inline script or handler."""
    import base64
    import hashlib

    for path in sorted((hostile / "public").rglob("*.html")):
        text = path.read_text("utf-8")
        policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', text)
        assert policy, path
        assert text.find("<script") == -1 or policy.start() < text.find("<script"), (
            f"{path}: the policy must come first"
        )
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in html_lib.unescape(policy.group(1)).split(";"))
        script_src = directives["script-src"]
        # 'unsafe-eval' is there for Pagefind's WebAssembly ('wasm-unsafe-eval' would do, but the
        # HTML validator of the suite does not know it yet); it lets no injected markup run
        sources = set(script_src.split())
        assert sources <= {"'self'", "'unsafe-eval'"} | {s for s in sources if s.startswith("'sha256-")}, script_src
        assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'"
        for body in re.findall(
            r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>(.*?)</script>", text, re.DOTALL
        ):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in script_src, f"{path}: inline script not covered by the policy: {body[:60]!r}"
