"""The one configured Markdown renderer: no raw HTML, safe links, linkify, tables, footnotes, math.

Math (delimiters in mathtex.py) becomes MathML at build time through latex2mathml; its output
is rebuilt through a MathML allow-list so that nothing but MathML elements and attributes can
reach a page. Display math inside a sentence is a `<math display="block">` element, which is
phrasing content, so the paragraph around it stays valid HTML. LaTeX that cannot be converted
stays visible as source (escaped, in `<code>`) and yields a warning with its line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt, helpers
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_inline

from digestgen.mathtex import CLOSERS, tex_plugin

ALLOWED_SCHEMES = ("http", "https", "mailto")
_STRIP = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
MAX_MATH = 2000
MAX_NESTING = 20  # also bounds the work per `[` of a run of brackets that never close
MAX_HTML = 250_000  # characters of HTML one field may render to: formulas and links expand the most

MATHML_TAGS = frozenset(
    [
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msup",
        "msub",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mstyle",
        "merror",
        "mpadded",
        "mphantom",
        "mfenced",
        "menclose",
        "munder",
        "mover",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mlabeledtr",
        "semantics",
        "annotation",
        "mmultiscripts",
        "mprescripts",
        "none",
    ]
)
MATHML_ATTRS = frozenset(
    [
        "xmlns",
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "accent",
        "accentunder",
        "columnalign",
        "rowalign",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "width",
        "height",
        "depth",
        "lspace",
        "rspace",
        "linethickness",
        "displaystyle",
        "scriptlevel",
        "movablelimits",
        "largeop",
        "symmetric",
        "minsize",
        "maxsize",
        "notation",
        "open",
        "close",
        "separators",
        "form",
        "align",
        "columnspan",
        "rowspan",
        "encoding",
        "voffset",
    ]
)


def safe_link(url: str) -> bool:
    """Allow http, https, mailto and relative links; nothing that a browser could execute."""
    cleaned = _STRIP.sub("", unquote(html.unescape(url)))
    if cleaned.startswith(("//", "\\\\", "/\\", "\\/")):
        return False
    match = _SCHEME.match(cleaned)
    return match is None or match.group(1).lower() in ALLOWED_SCHEMES


class _MathMLRebuilder(HTMLParser):
    """Re-serialise converter output, refusing anything outside the MathML allow-list.

    It is rebuilt as a tree so that it can be written compactly: no `xmlns` (an HTML parser
    puts `<math>` in the MathML namespace without it), no `display="inline"` (the default),
    and no `<mrow>` around a single element (MathML reads it as that element), which
    latex2mathml writes around every group; an operator alone keeps its row, whose position
    decides the operator's form.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Any] = ["", "", []]
        self.open: list[list[Any]] = [self.root]
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in MATHML_TAGS:
            self.ok = False
            return
        parts = [""]
        for name, value in attrs:
            if (
                name not in MATHML_ATTRS
                or name == "xmlns"
                or (tag == "math" and name == "display" and value == "inline")
            ):
                continue
            parts.append(f'{name}="{html.escape(value or "", quote=True)}"')
        node: list[Any] = [tag, " ".join(parts), []]
        self.open[-1][2].append(node)
        self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self.ok:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in MATHML_TAGS or len(self.open) < 2 or self.open[-1][0] != tag:
            self.ok = False
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1][2].append(html.escape(data, quote=False))

    def unknown_decl(self, data: str) -> None:
        self.ok = False

    def handle_comment(self, data: str) -> None:
        self.ok = False

    def handle_pi(self, data: str) -> None:
        self.ok = False

    def math(self, annotation: str) -> str | None:
        """The one `<math>` element read, its content under `<semantics>` with annotation;
        None if the input was anything else."""
        if not self.ok or len(self.open) != 1 or len(self.root[2]) != 1 or not isinstance(self.root[2][0], list):
            return None
        tag, attrs, children = self.root[2][0]
        if tag != "math":
            return None
        body = "".join(_write_math(child) for child in children)
        if len(children) != 1 or not isinstance(children[0], list):
            body = f"<mrow>{body}</mrow>"
        return f"<math{attrs}><semantics>{body}{annotation}</semantics></math>"


def _write_math(node: Any) -> str:
    """A node of _MathMLRebuilder's tree as MathML, without rows of one element."""
    if isinstance(node, str):
        return node
    tag, attrs, children = node
    while (
        tag == "mrow" and not attrs and len(children) == 1 and isinstance(children[0], list) and children[0][0] != "mo"
    ):
        tag, attrs, children = children[0]
    return f"<{tag}{attrs}>{''.join(_write_math(child) for child in children)}</{tag}>"


_STRAY_LT = re.compile(r"<(?!/?(?:m[a-z]+|semantics|annotation|none)[\s/>])")
_STRAY_AMP = re.compile(r"&(?!#x?[0-9a-fA-F]+;|[A-Za-z]+;)")
_RAW_COMMAND = re.compile(r">[^<]*?(\\[A-Za-z]*)")  # a backslash left in converted text


@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool) -> tuple[str | None, str]:
    """Convert LaTeX to sanitised MathML: (MathML, "") or (None, why it cannot be converted)."""
    if not latex.strip():
        return None, "it is empty"
    if len(latex) > MAX_MATH:
        return None, f"it is longer than {MAX_MATH:,} characters"
    try:
        from latex2mathml.converter import convert

        raw = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # noqa: BLE001 - latex2mathml raises many kinds of errors on bad input
        return None, f"latex2mathml cannot read it ({type(exc).__name__})"
    unknown = _RAW_COMMAND.search(raw)  # latex2mathml copies commands it does not know as text
    if unknown is not None:
        return None, f"latex2mathml does not know {unknown.group(1)}"
    # latex2mathml leaves '<' and '&' inside \text{} unescaped: escape those that start no
    # MathML tag or character reference; the allow-list rebuild below refuses any other tag.
    parser = _MathMLRebuilder()
    try:
        parser.feed(_STRAY_AMP.sub("&amp;", _STRAY_LT.sub("&lt;", raw)))
        parser.close()
    except Exception:  # noqa: BLE001 - any parse failure means the MathML is not kept
        return None, "its MathML could not be read back"
    # keep the source for copy/paste and screen readers that prefer it
    annotation = f'<annotation encoding="application/x-tex">{html.escape(latex, quote=False)}</annotation>'
    mathml = parser.math(annotation)
    if mathml is None:
        return None, "its MathML holds markup outside the allow-list"
    return mathml, ""


def math_source(token: Token) -> str:
    """The math of a token as written, with its delimiters."""
    return f"{token.markup}{token.content}{CLOSERS[token.markup]}"


@dataclass
class Rendered:
    """A rendered Markdown field and what the renderer noticed."""

    html: str
    warnings: list[tuple[int, str]] = field(default_factory=list)
    internal_links: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if href.startswith("/") and not href.startswith("//"):
        token.attrSet("href", env.get("base_path", "/") + href[1:])
    elif href.startswith(("http://", "https://")):
        token.attrSet("rel", "nofollow ugc noopener")
    return self.renderToken(tokens, idx, options, env)


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if src.startswith("/") and not src.startswith("//"):
        token.attrSet("src", env.get("base_path", "/") + src[1:])
    token.attrSet("loading", "lazy")
    return self.image(tokens, idx, options, env)


def _render_math(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """Inline and in-sentence display math: phrasing content (MathML, or its source as code)."""
    token = tokens[idx]
    return token.meta.get("mathml") or f'<code class="math-error">{html.escape(math_source(token))}</code>'


def _render_math_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    """Display math on lines of its own: a block."""
    token = tokens[idx]
    mathml = token.meta.get("mathml")
    if mathml:
        return f'<div class="math">{mathml}</div>\n'
    return f'<pre class="math-error"><code>{html.escape(math_source(token))}</code></pre>\n'


def _link_label(state: StateInline, start: int, disable_nested: bool = False) -> int:
    """markdown-it's parseLinkLabel (the end of the label opened at start, or -1), remembering
    the answer for every `[` its walk crosses: without that, each `[` of a run that never
    closes walks the run again (quadratic time: 100,000 characters of `![` took 3 s)."""
    labels: dict[tuple[int, int, bool], int] = state.__dict__.setdefault("digestgen_labels", {})
    key = (start, state.posMax, disable_nested)
    known = labels.get(key)
    if known is not None:
        return known
    old_pos, end = state.pos, state.posMax
    state.pos = start + 1
    opened = [(start, 0)]  # each open `[` and the count of nested links seen before it
    nested = 0
    while state.pos < end:
        marker = state.src[state.pos]
        if marker == "]":
            at, seen = opened.pop()
            labels[(at, end, False)] = state.pos
            labels[(at, end, True)] = state.pos if seen == nested else -1
            if not opened:
                break
        before = state.pos
        state.md.inline.skipToken(state)
        if marker == "[":
            if state.pos != before + 1:  # a link that skipToken passed
                nested += 1
                continue
            inner = labels.get((before, end, False))
            if inner is None:
                opened.append((before, nested))
            elif inner < 0:  # a `[` that never closes: neither do those around it
                break
            else:  # the label of a bracket of text that is no link: step over it
                nested += labels[(before, end, True)] < 0
                state.pos = inner + 1
    for at, _ in opened:  # walked to the end without finding their `]`
        labels[(at, end, False)] = labels[(at, end, True)] = -1
    state.pos = old_pos
    return labels[key]


def _inline_footnote(state: StateInline, silent: bool) -> bool:
    """`^[note]`, refused at once when its `[` never closes (the plugin's own label parser
    would walk the rest of the paragraph again for each `^[`)."""
    if state.src.startswith("^[", state.pos) and _link_label(state, state.pos + 1) < 0:
        return False
    return footnote_inline(state, silent)


_BARE_SCHEME = re.compile(r"mailto:|https?:|ftp:|//", re.IGNORECASE)


def _scheme_follows_boundary(starts_link: Callable[[str], bool], text: str) -> bool:
    """scheme.search(text) is not None, for linkify-it's test of a scheme (the start of the
    text or one boundary character, then a scheme), but many times faster: its character
    classes (slow to try) are tried only where a plain search finds a scheme, and once per
    pair of a character and a scheme (starts_link, the memoised match of that pattern)."""
    if ":" not in text and "//" not in text:  # every scheme has one (and no other letter case)
        return False
    at = 0
    while (found := _BARE_SCHEME.search(text, at)) is not None:
        start = found.start()
        # the pattern ends with the scheme: what follows it cannot change whether it matches
        if starts_link(text[max(start - 1, 0) : found.end()]):
            return True
        at = start + 1  # schemes may overlap ("///"): every place one starts is tried
    return False


MAX_SMART_QUOTES = 1_000  # curly quotes cost time quadratic in a paragraph's quotes


def _bounded_smartquotes(state: Any) -> None:
    """markdown-it's smartquotes, except in a paragraph of more than MAX_SMART_QUOTES quotes.

    Pairing quotes scans back over the quotes still open, so a paragraph of 100,000 quote
    marks took 4.5 s of CPU; such a paragraph keeps its straight quotes.
    """
    from markdown_it.rules_core.smartquotes import QUOTE_RE, process_inlines

    for token in state.tokens:
        if token.type != "inline" or token.children is None or not QUOTE_RE.search(token.content):
            continue
        if token.content.count('"') + token.content.count("'") <= MAX_SMART_QUOTES:
            process_inlines(token.children, state)


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """The configured MarkdownIt instance (one per process)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": True, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough", "linkify", "replacements", "smartquotes"])
    md.core.ruler.at("smartquotes", _bounded_smartquotes)
    linkify: Any = md.linkify
    linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    # linkify-it's quick pretest also looks for bare host names, which fuzzy_link=False never
    # links; with fuzzy matching off, a scheme is the exact test and saves a fifth of the time.
    scheme = re.compile(linkify.re["schema_test"], re.IGNORECASE)
    linkify.pretest = partial(_scheme_follows_boundary, lru_cache(maxsize=4096)(lambda s: scheme.match(s) is not None))
    # per instance: the link and image rules call the label parser through md.helpers
    md.helpers = SimpleNamespace(
        parseLinkLabel=_link_label,
        parseLinkDestination=helpers.parseLinkDestination,  # type: ignore[assignment]
        parseLinkTitle=helpers.parseLinkTitle,
    )
    md.use(footnote_plugin)
    md.inline.ruler.at("footnote_inline", _inline_footnote)
    md.use(tex_plugin)
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("math_inline_double", _render_math)
    md.add_render_rule("math_block", _render_math_block)
    return md


class _LineCounter:
    """Lines before an offset of a text, counted forwards (offsets come in order)."""

    def __init__(self, text: str):
        self.text = text
        self.offset = 0
        self.lines = 0

    def at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset = self.lines = 0
        self.lines += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.lines


def shorten(source: str, limit: int = 80) -> str:
    """Source text for a message: one line, at most limit characters."""
    flat = " ".join(source.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render(text: str, *, doc_id: str = "", base_path: str = "/", first_line: int = 1) -> Rendered:
    """Render curator Markdown to safe HTML; report math that failed and internal links."""
    md = markdown()
    env: dict[str, Any] = {"docId": doc_id, "base_path": base_path}
    tokens = md.parse(text, env)
    result = Rendered("")
    line = first_line
    for token in tokens:
        if token.map:
            line = first_line + token.map[0]
        lines = _LineCounter(token.content if token.map else "")
        for item in ([token, *(token.children or [])]):
            if item.type.startswith("math"):
                mathml, why = latex_to_mathml(item.content.strip(), item.type != "math_inline")
                if mathml is None:
                    where = line + lines.at(item.meta["offset"]) if "offset" in item.meta else line
                    message = f"math is shown as its source because {why}: {shorten(math_source(item))}"
                    result.warnings.append((where, message))
                else:
                    item.meta["mathml"] = mathml
            elif item.type == "link_open":
                href = str(item.attrGet("href") or "")
                if href.startswith("/") and not href.startswith("//"):
                    result.internal_links.append((line, href))
    result.html = md.renderer.render(tokens, md.options, env)
    if len(result.html) > MAX_HTML:  # it is copied onto every listing and feed of the entry
        result.errors.append((first_line, (
            f"renders to {len(result.html):,} characters of HTML; the limit is {MAX_HTML:,} "
            "(formulas and links expand the most): shorten it")))
        result.html = ""
    return result


def render_inline(text: str) -> str:
    """Render one line of Markdown (a title or tldr) without paragraphs."""
    return markdown().renderInline(text, {"docId": "inline"})
