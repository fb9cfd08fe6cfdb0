"""Shared tools for the security suite: hostile sites on disk, CLI runs, tree hashes, output scans."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

# 2025-11-29 12:26 UTC: "today" for every build of the suite
EPOCH = "1764400000"
MARKER = "PWNED"

SITE_YAML = """title: Security Digest
base_url: https://digest.example.org/
timezone: UTC
search: false
"""

GOOD_PAPER = """---
title: "A harmless paper"
date: 2025-11-20
authors: ["Ada Lovelace", "Alan Turing"]
arxiv: "2511.00001"
tags: [safety]
tldr: "One line."
---

A plain note with a [link](https://example.org/).
"""

PROBLEM_LINE = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?:warning: )?(?P<field>[^:]+): (?P<message>.+)$"
)
SUMMARY_LINE = re.compile(r"^digestgen: \d+ errors?; nothing was written$")


def yq(value: str) -> str:
    """Quote any text as a YAML double-quoted scalar, escaping everything not plainly printable."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif (
            code < 0x20
            or code == 0x7F
            or 0x80 <= code < 0xA0
            or 0xD800 <= code <= 0xDFFF
            or code in (0xFEFF, 0xFFFE, 0xFFFF, 0x2028, 0x2029, 0x85)
        ):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        elif code > 0xFFFF:
            out.append(f"\\U{code:08x}")
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def front_matter(fields: dict[str, Any], body: str = "") -> str:
    """A paper/page/issue .md file from fields (values quoted with yq) and a Markdown body."""
    lines = ["---"]
    for key, value in fields.items():
        lines.append(f"{key}: {to_yaml(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n" + body + ("\n" if body and not body.endswith("\n") else "")


def to_yaml(value: Any) -> str:
    """Flow-style YAML for str, int, bool, date strings, lists and dicts (strings always quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, str):
        return yq(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yq(str(k))}: {to_yaml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


@dataclass(frozen=True)
class Raw:
    """A value written into YAML as-is (dates, plain scalars)."""

    text: str


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8", "surrogatepass"))  # a lone surrogate makes invalid UTF-8, on purpose
    return path


def make_site(root: Path, files: dict[str, str | bytes] | None = None, site_yaml: str = SITE_YAML,
              good_paper: bool = True) -> Path:
    """A minimal valid site (one harmless paper) plus the given extra files."""
    root.mkdir(parents=True, exist_ok=True)
    write(root, "site.yaml", site_yaml)
    if good_paper:
        write(root, "content/papers/2511.00001.md", GOOD_PAPER)
    for rel, text in (files or {}).items():
        write(root, rel, text)
    return root


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[re.Match[str]]:
        return [m for line in self.err.splitlines() if (m := PROBLEM_LINE.match(line))]


def run_cli(*args: str) -> Run:
    """Run the digestgen CLI in this process; an escaping exception fails the calling test."""
    from digestgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        except BaseException:  # noqa: BLE001 - any escape, even KeyboardInterrupt, is the failure under test
            raise AssertionError("digestgen raised instead of reporting:\n" + traceback.format_exc()) from None
    return Run(code, out.getvalue(), err.getvalue())


def build(root: Path, *extra: str) -> Run:
    return run_cli("build", "--site", str(root), *extra)


def tree(folder: Path) -> dict[str, str]:
    """rel path -> sha256 of every file (and 'link:' target for symlinks) under folder."""
    result: dict[str, str] = {}
    if not folder.exists():
        return result
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]):
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                result[rel] = "link:" + os.readlink(path)
            else:
                result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def debris(root: Path, output: str = "public") -> list[str]:
    """Temporary or half-swapped folders a build may leave beside its output."""
    return sorted(p.name for p in root.iterdir() if p.name.startswith((f".{output}.tmp-", f".{output}.old")))


def assert_refused(root: Path, run: Run, before: dict[str, str], code: int = 1,
                   expect: Iterable[tuple[str, str, str]] = ()) -> None:
    """Exit code, only well-formed problem lines, no traceback, output untouched, no debris.

    expect: (path[:line[:col]], field, message substring) that must each be reported.
    """
    assert run.code == code, f"exit {run.code}, expected {code}\nstderr:\n{run.err}"
    assert "Traceback" not in run.err + run.out
    assert "\x1b" not in run.err + run.out, "raw escape character reached the terminal"
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert lines, "nothing reported"
    for line in lines:
        assert PROBLEM_LINE.match(line) or SUMMARY_LINE.match(line) or line.startswith("refusing") or \
            line.startswith("digestgen:") and code == 2, f"not 'path:line:col: field: message': {line!r}"
    for where, field_name, text in expect:
        found = [m for m in run.problems if f"{m['path']}:{m['line']}:{m['col']}".startswith(where)
                 and m["field"] == field_name and text.lower() in m["message"].lower()]
        assert found, f"missing {where}: {field_name}: ...{text}...\nstderr:\n{run.err}"
    assert tree(root / "public") == before, "the previous output changed"
    assert debris(root) == []


def refused_build(root: Path, code: int = 1, expect: Iterable[tuple[str, str, str]] = ()) -> Run:
    """Build root (which already holds a previous public/) and assert it is refused cleanly."""
    before = tree(root / "public")
    run = build(root)
    assert_refused(root, run, before, code, expect)
    return run


# --- scanning output for anything executable ------------------------------------------------

URL_ATTRS = {"href", "src", "action", "formaction", "poster", "data", "xlink:href", "background", "cite",
             "srcset", "codebase", "longdesc", "manifest", "ping", "icon", "lowsrc", "dynsrc"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
SAFE_SCRIPT_TYPES = {"application/ld+json", "application/json"}
_CTRL = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+")


def dangerous_url(value: str) -> bool:
    """True for javascript:, vbscript: and data: (HTML) URLs however they are disguised."""
    from urllib.parse import unquote

    cleaned = _CTRL.sub("", unquote(html.unescape(value))).lower()
    for candidate in (cleaned, *[c.strip() for c in cleaned.split(",")]):
        if candidate.startswith(("javascript:", "vbscript:", "livescript:", "data:text/html", "data:application",
                                 "data:image/svg", "data:text/xml")):
            return True
    return False


class _Scanner(HTMLParser):
    def __init__(self, where: str, theme_script_srcs: tuple[str, ...]):
        super().__init__(convert_charrefs=True)
        self.where = where
        self.srcs = theme_script_srcs
        self.findings: list[str] = []
        self.in_script: str | None = None
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"{self.where}: <{tag} {name}=...>")
            if name in URL_ATTRS and value and dangerous_url(value):
                self.findings.append(f"{self.where}: <{tag} {name}={value[:80]!r}>")
            if (
                name == "style"
                and value
                and re.search(r"expression\(|url\(\s*['\"]?\s*javascript", value, re.IGNORECASE)
            ):
                self.findings.append(f"{self.where}: <{tag} style={value[:80]!r}>")
        if tag in FORBIDDEN_TAGS:
            self.findings.append(f"{self.where}: <{tag}>")
        if tag == "meta" and (names.get("http-equiv") or "").lower() == "refresh":
            self.findings.append(f"{self.where}: <meta http-equiv=refresh>")
        if tag == "script":
            kind = (names.get("type") or "").lower()
            src = names.get("src")
            if src is not None and not src.startswith(self.srcs):
                self.findings.append(f"{self.where}: <script src={src[:80]!r}>")
            self.in_script = kind
            self.script_text = []
        if tag == "math":
            pass

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag("script")

    def handle_data(self, data: str) -> None:
        if self.in_script is not None:
            self.script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.in_script is not None:
            text = "".join(self.script_text)
            if self.in_script in SAFE_SCRIPT_TYPES:
                try:
                    json.loads(text)
                except ValueError:
                    self.findings.append(f"{self.where}: inline JSON does not parse (broken out of?): {text[:80]!r}")
            elif MARKER in text:
                self.findings.append(f"{self.where}: content reached an inline script: {text[:80]!r}")
            self.in_script = None


def scan_html(text: str, where: str, theme_script_srcs: tuple[str, ...] = ("/assets/", "/pagefind/")) -> list[str]:
    scanner = _Scanner(where, theme_script_srcs)
    scanner.feed(text)
    scanner.close()
    return scanner.findings


def _xml_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def scan_xml(data: bytes, where: str) -> list[str]:
    """Feeds, sitemap, OPML: well-formed, and every embedded HTML payload is inert."""
    findings: list[str] = []
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return [f"{where}: not well-formed XML: {exc}"]
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in root.iter():
        name = _xml_local(element.tag)
        kind = element.get("type", "")
        parent = _xml_local(parents[element].tag) if element in parents else ""
        # Atom: type="html" holds escaped HTML; RSS: an item's description and content:encoded do
        if (name in ("content", "summary", "title", "subtitle", "rights") and kind == "html") or \
                (parent == "item" and name in ("description", "encoded")):
            findings += scan_html(element.text or "", f"{where} <{name}>")
        if name in ("content", "summary") and kind == "xhtml":
            findings += scan_html(ET.tostring(element, encoding="unicode"), f"{where} <{name}>")
        for attr, value in element.attrib.items():
            if _xml_local(attr) in ("href", "src", "url", "htmlUrl", "xmlUrl", "uri") and dangerous_url(value):
                findings.append(f"{where}: <{name} {attr}={value[:80]!r}>")
        if (
            name in ("link", "uri", "loc", "url", "icon", "logo", "comments", "docs")
            and element.text
            and dangerous_url(element.text)
        ):
            findings.append(f"{where}: <{name}>{element.text[:80]!r}")
    return findings


def _walk_json(value: Any, where: str, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_json(v, where, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _walk_json(v, where, key)
    elif isinstance(value, str):
        if key.endswith("html") or key in ("content", "excerpt"):
            yield from scan_html(value, f"{where} [{key}]")
        url_key = key in (
            "url",
            "external_url",
            "image",
            "banner_image",
            "icon",
            "favicon",
            "home_page_url",
            "feed_url",
            "avatar",
            "href",
            "links",
        ) or key.endswith("_url")
        if url_key and dangerous_url(value):
            yield f"{where} [{key}]: {value[:80]!r}"


def scan_json(data: bytes, where: str) -> list[str]:
    try:
        value = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return [f"{where}: not valid JSON: {exc}"]
    findings = list(_walk_json(value, where))
    # links maps label -> url in papers.json
    for paper in value.get("papers", []) if isinstance(value, dict) else []:
        for label, url in (paper.get("links") or {}).items() if isinstance(paper, dict) else []:
            if isinstance(url, str) and dangerous_url(url):
                findings.append(f"{where} links.{label}: {url[:80]!r}")
    return findings


def pagefind_texts(folder: Path) -> Iterator[tuple[str, Any]]:
    """Decoded Pagefind fragments (gzip + 'pagefind_dcd' + JSON), if the site has a search index."""
    for path in (
        sorted((folder / "pagefind" / "fragment").glob("*.pf_fragment")) if (folder / "pagefind").is_dir() else []
    ):
        raw = gzip.decompress(path.read_bytes())
        raw = raw.removeprefix(b"pagefind_dcd")
        yield path.relative_to(folder).as_posix(), json.loads(raw.decode("utf-8"))


def scan_output(folder: Path, base_path: str = "/") -> list[str]:
    """Every finding of anything executable from content in a built site."""
    findings: list[str] = []
    srcs = (base_path + "assets/", base_path + "pagefind/")
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if rel.endswith((".html", ".htm")):
            findings += scan_html(data.decode("utf-8"), rel, srcs)
        elif rel.endswith((".xml", ".opml", ".rss", ".atom")):
            findings += scan_xml(data, rel)
        elif rel.endswith(".json") and not rel.startswith("pagefind/"):
            findings += scan_json(data, rel)
        elif rel.endswith(".svg") and re.search(rb"<script|\son\w+=", data, re.IGNORECASE):
            findings.append(f"{rel}: script in SVG")
    # Pagefind keeps page text as plain text (the theme's search script shows it through text
    # nodes only, see test_theme_scripts_never_build_html_from_data); its URLs must be ours
    for rel, fragment in pagefind_texts(folder):
        if not isinstance(fragment, dict):
            findings.append(f"{rel}: unexpected fragment")
            continue
        url = str(fragment.get("url", ""))
        if dangerous_url(url) or not url.startswith("/") or url.startswith("//"):
            findings.append(f"{rel}: url {url[:80]!r}")
        for key, value in (fragment.get("meta") or {}).items():
            if key in ("image", "url") and dangerous_url(str(value)):
                findings.append(f"{rel}: meta.{key} {str(value)[:80]!r}")
    return findings


def copy_site(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


# U+2028/U+2029 end a line, so one-line fields refuse them; multi-line fields carry them to inline JSON
LINE_SEPARATORS = f"\u2028\u2029</script><script>alert('{MARKER}')</script>"

TEXT_PAYLOADS = [
    f"<script>alert('{MARKER}')</script>",
    f"</script><script>alert('{MARKER}')</script>",
    f"\"><script>alert('{MARKER}')</script>",
    f"'><img src=x onerror=alert('{MARKER}')>",
    f"\" onmouseover=\"alert('{MARKER}')\" x=\"",
    f"' onfocus='alert(`{MARKER}`)' autofocus '",
    f"<svg onload=alert('{MARKER}')>",
    f"<iframe src=javascript:alert('{MARKER}')>",
    f"]]><script>alert('{MARKER}')</script><![CDATA[",
    f"{{{{ 7*7 }}}}{{% print('{MARKER}') %}}",
    f"<!--<script>alert('{MARKER}')</script>-->",
    f"&lt;script&gt;alert('{MARKER}')&lt;/script&gt;",
    f"<script>window.{MARKER}=1</script><img src=x onerror=\"window.{MARKER}=1\">",
]

MARKDOWN_PAYLOADS = [
    f"<script>alert('{MARKER}')</script>",
    f"<iframe src=\"javascript:alert('{MARKER}')\"></iframe>",
    f"<svg onload=alert('{MARKER}')>",
    f"<img src=x onerror=alert('{MARKER}')>",
    f"<a href=\"javascript:alert('{MARKER}')\">raw anchor</a>",
    f"[plain](javascript:alert('{MARKER}'))",
    f"[mixed case](JaVaScRiPt:alert('{MARKER}'))",
    f"[entity](&#106;avascript:alert('{MARKER}'))",
    f"[hex entity](&#x6A;avascript&#x3A;alert('{MARKER}'))",
    f"[named tab](java&Tab;script:alert('{MARKER}'))",
    f"[tab entity](java&#x09;script:alert('{MARKER}'))",
    f"[newline entity](java&#10;script:alert('{MARKER}'))",
    f"[percent](java%0ascript:alert('{MARKER}'))",
    f"[percent scheme](%6A%61%76%61%73%63%72%69%70%74:alert('{MARKER}'))",
    f"[leading space]( javascript:alert('{MARKER}'))",
    f"[angle](<javascript:alert('{MARKER}')>)",
    f"[vb](vbscript:msgbox('{MARKER}'))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgnUFdORUQnKTwvc2NyaXB0Pg==)",
    f"[data mixed](DaTa:text/html,<script>alert('{MARKER}')</script>)",
    f"![image js](javascript:alert('{MARKER}'))",
    f"![image data](data:image/svg+xml,<svg onload=alert('{MARKER}')>)",
    f"![alt\" onerror=\"alert('{MARKER}')](https://example.org/x.png)",
    f"[title]( https://example.org/ \"t\\\" onmouseover=\\\"alert('{MARKER}')\")",
    "[title2](https://example.org/ 'a\\' onmouseover=\\'alert(1)')",
    f"[ref]\n\n[ref]: javascript:alert('{MARKER}')",
    f"<javascript:alert('{MARKER}')>",
    f"<vbscript:msgbox('{MARKER}')>",
    f"javascript:alert('{MARKER}')",
    f"www.example.org/\"onmouseover=\"alert('{MARKER}')",
    f"https://example.org/<script>alert('{MARKER}')</script>",
    f"[proto](//evil.example/{MARKER})",
    f"[backslash](\\\\evil.example/{MARKER})",
    f"$\\href{{javascript:alert('{MARKER}')}}{{x}}$",
    f"$\\text{{<img src=x onerror=alert('{MARKER}')>}}$",
    f"$<script>alert('{MARKER}')</script>$",
    f"$$\n\\text{{</math><script>alert('{MARKER}')</script>}}\n$$",
    f"Footnote[^x]\n\n[^x]: <script>alert('{MARKER}')</script> [f](javascript:alert('{MARKER}'))",
    f"| a | b |\n|---|---|\n| <script>alert('{MARKER}')</script> | [t](javascript:alert('{MARKER}')) |",
    f"```html\n</code></pre><script>alert('{MARKER}')</script>\n```",
    f"<!-- <script>alert('{MARKER}')</script> -->",
    f"<style>body{{background:url(javascript:alert('{MARKER}'))}}</style>",
    f"<form action=\"javascript:alert('{MARKER}')\"><button>x</button></form>",
    f"<math><mtext><script>alert('{MARKER}')</script></mtext></math>",
    f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('{MARKER}')\">",
    f"<script>window.{MARKER}=1</script>",
    f"<img src=x onerror=\"window.{MARKER}=1\"> [s](javascript:window.{MARKER}=1)",
]


@contextlib.contextmanager
def pinned_env(**extra: str) -> Iterator[None]:
    """SOURCE_DATE_EPOCH (and extra variables) set for the duration of a session-scoped build."""
    values = {"SOURCE_DATE_EPOCH": EPOCH, **extra}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def hostile_site(root: Path, search: bool = False) -> Path:
    """A site whose every text field, Markdown body and URL carries an injection payload."""
    payloads = TEXT_PAYLOADS
    site_yaml = "\n".join([
        f"title: {yq(payloads[1])}",
        f"description: {yq(payloads[3] + LINE_SEPARATORS)}",
        "base_url: https://digest.example.org/sub/",
        "timezone: UTC",
        f"search: {'true' if search else 'false'}",
        "author:",
        f"  name: {yq(payloads[2])}",
        f"  email: {yq('a@b.example' + chr(34) + '><script>alert(' + repr(MARKER) + ')</script>')}",
        "nav:",
        f"  - title: {yq(payloads[4])}",
        "    url: /about/",
        f"  - title: {yq(payloads[0])}",
        f"    url: {yq('https://example.org/' + chr(39) + 'onmouseover=' + chr(39) + 'alert(1)')}",
        "subscribe:",
        f"  url: {yq('https://example.org/subscribe?a=' + chr(39) + 'onfocus=' + chr(39) + 'alert(1)')}",
        f"  label: {yq(payloads[6])}",
        "",
    ])
    root.mkdir(parents=True, exist_ok=True)
    write(root, "site.yaml", site_yaml)
    tags = ["alpha", "beta", "gamma"]
    write(root, "content/tags.yaml", "".join(
        f"{t}:\n  name: {yq(payloads[i % len(payloads)])}\n  description: {yq(payloads[(i + 5) % len(payloads)])}\n"
        for i, t in enumerate(tags)))
    for i, body in enumerate(MARKDOWN_PAYLOADS):
        text = payloads[i % len(payloads)]
        fields: dict[str, Any] = {
            "title": f"Paper {i} {text}",
            "date": Raw(f"2025-11-{1 + i % 28:02d}"),
            "authors": [payloads[(i + 1) % len(payloads)], "Grace Hopper", payloads[(i + 2) % len(payloads)]],
            "arxiv": f"2511.{10000 + i}",
            "tldr": payloads[(i + 3) % len(payloads)],
            "abstract": body + "\n\n" + payloads[(i + 4) % len(payloads)] + LINE_SEPARATORS,
            "tags": [tags[i % 3], tags[(i + 1) % 3]],
            "links": {
                "code": f"https://example.org/{i}'><svg/onload=alert('{MARKER}')>".replace("<", "%3C").replace(
                    ">", "%3E"
                ),
                "project": f"https://example.org/?q='onmouseover='alert({i})'",
            },
            "submitted_by": payloads[(i + 5) % len(payloads)],
            "upvotes": i,
        }
        if i % 4 == 0:
            fields["doi"] = f"10.1234/{i}\"><script>alert('{MARKER}')</script>"
        if i % 5 == 0:
            fields["image"] = f"https://example.org/{i}.png'onerror='alert({i})'"
            fields["image_alt"] = payloads[(i + 6) % len(payloads)]
        write(root, f"content/papers/2511.{10000 + i}.md", front_matter(fields, body + "\n\n" + text + "\n"))
    write(root, "content/issues/2025-W45.md", front_matter(
        {"title": payloads[1], "summary": payloads[3]}, "\n\n".join(MARKDOWN_PAYLOADS)))
    write(root, "content/pages/about.md", front_matter(
        {"title": payloads[2], "description": payloads[1]}, "\n\n".join(MARKDOWN_PAYLOADS)))
    return root


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of size mounted at where (a new folder) for the block; skips where it cannot be."""
    where.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
