"""TeX in Markdown: the math delimiters and the few prose commands that paper abstracts carry.

Parsing rules for the one MarkdownIt instance (markdown.py renders what they produce):

- inline math: `$...$` and `\\(...\\)` (token `math_inline`);
- display math inside running text: `$$...$$` and `\\[...\\]` (token `math_inline_double`):
  it stays inside its paragraph, so it must be rendered as phrasing content;
- display math on lines of its own, starting a block: `$$` or `\\[` up to a line that ends
  with `$$` or `\\]` (token `math_block`); its lines are not read as Markdown;
- `\\emph{}`, `\\textit{}`, `\\textsl{}` (emphasis), `\\textbf{}` (strong), `\\texttt{}`
  (code), `\\url{}` and `\\href{}{}` (links) outside math; `~` between two words is a TeX
  tie, a non-breaking space.

`$` is money unless it reads as math, by pandoc's rule: the opening `$` is not followed by
whitespace, the first unescaped `$` after it closes, and only if it is not preceded by
whitespace and not followed by a digit. So "costs $5 to $10" and "$5M" stay text.

Every scan either consumes what it scanned or is bounded by something already scanned, so
parsing stays linear in the length of the text (a field is at most 100,000 characters).
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

# a single `$`: content has no unescaped `$`; the first `$` must close (pandoc's rule)
_DOLLAR = re.compile(r"\$(?![\s$])((?:[^$\\]|\\.)++)(?<!\s)\$(?!\d)", re.DOTALL)
# `$$`: content up to the first unescaped `$$`
_DOUBLE_DOLLAR = re.compile(r"\$\$((?:[^$\\]|\\.|\$(?!\$))++)\$\$", re.DOTALL)
# `\(` and `\[`: content up to the first `\)` or `\]` that is not part of a `\\`
_BRACKETS = {
    "(": re.compile(r"\\\(((?:[^\\]|\\[^)])*+)\\\)", re.DOTALL),
    "[": re.compile(r"\\\[((?:[^\\]|\\[^\]])*+)\\\]", re.DOTALL),
}
_COMMANDS = {
    "emph": "em",
    "textit": "em",
    "textsl": "em",
    "textbf": "strong",
    "texttt": "code",
    "url": "a",
    "href": "a",
}
_COMMAND = re.compile(r"\\(" + "|".join(_COMMANDS) + r")\{")
_ABSOLUTE = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
_TIE = re.compile(r"(?<=[^\s~/])~(?=[^\s~/])")
CLOSERS = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def _memo(state: Any, name: str) -> dict[Any, Any]:
    """A dictionary that lives as long as one inline parse (one paragraph, cell or heading)."""
    found: dict[Any, Any] = state.__dict__.setdefault(name, {})
    return found


def _push_math(state: StateInline, kind: str, markup: str, content: str) -> None:
    token = state.push(kind, "math", 0)
    token.content = content
    token.markup = markup
    token.meta["offset"] = state.pos  # where it starts in the inline source, for its line


def _dollar_math(state: StateInline, silent: bool) -> bool:
    """`$x$` inline, `$$x$$` displayed inside the paragraph."""
    if state.src[state.pos] != "$":
        return False
    double = state.src.startswith("$$", state.pos)
    if not double and state.pos and state.src[state.pos - 1] == "$":  # in a `$$` that did not close
        return False
    match = (_DOUBLE_DOLLAR if double else _DOLLAR).match(state.src, state.pos, state.posMax)
    if match is None or not match.group(1).strip():
        return False
    if not silent:
        _push_math(state, "math_inline_double" if double else "math_inline", "$$" if double else "$", match.group(1))
    state.pos = match.end()
    return True


def _bracket_math(state: StateInline, silent: bool) -> bool:
    """`\\(x\\)` inline, `\\[x\\]` displayed inside the paragraph."""
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in _BRACKETS:
        return False
    kind = src[pos + 1]
    # an opener that found no closer: no later opener of its kind finds one either, since the
    # scan from here passed them all (without this, `\\(` repeated would take quadratic time)
    failed = _memo(state, "digestgen_math_failed")
    if pos >= failed.get((kind, state.posMax), state.posMax):
        return False
    match = _BRACKETS[kind].match(src, pos, state.posMax)
    if match is None:
        failed[(kind, state.posMax)] = pos
        return False
    if not match.group(1).strip():
        return False
    if not silent:
        _push_math(state, "math_inline" if kind == "(" else "math_inline_double", "\\" + kind, match.group(1))
    state.pos = match.end()
    return True


def _matching_braces(src: str) -> dict[int, int]:
    """Index of each `{` -> index of its `}` (TeX escapes `\\{` and `\\}` do not count)."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for found in _BRACE.finditer(src):
        if found.group() == "{":
            opened.append(found.start())
        elif found.group() == "}" and opened:
            pairs[opened.pop()] = found.start()
    return pairs


def _text_command(state: StateInline, silent: bool) -> bool:
    """`\\emph{x}` and its kin outside math: their Markdown-rendered content, emphasised;
    `\\url{address}` and `\\href{address}{text}`: a link, when the address is an absolute one
    that the renderer allows (else the command stays text)."""
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in "ethu":
        return False
    match = _COMMAND.match(src, pos, state.posMax)
    if match is None:
        return False
    braces = _memo(state, "digestgen_braces")
    if not braces:
        braces.update(_matching_braces(src))
        braces[None] = None  # computed, even when nothing matched
    close = braces.get(match.end() - 1, -1)
    if close < 0 or close >= state.posMax:
        return False
    command, tag = match.group(1), _COMMANDS[match.group(1)]
    start, end = match.end(), close  # the content to show
    href = ""
    if tag == "a":
        if state.linkLevel:  # inside the text of a link: a link cannot hold one
            return False
        address = src[match.end() : close].strip()
        href = state.md.normalizeLink(address)
        if not _ABSOLUTE.match(address) or not state.md.validateLink(href):
            return False
        if command == "href":
            if close + 1 >= state.posMax or src[close + 1] != "{":
                return False
            start, close = close + 2, braces.get(close + 1, -1)
            if close < 0 or close >= state.posMax:
                return False
            end = close
    if not silent:
        if tag == "code":
            token = state.push("code_inline", "code", 0)
            token.content = src[start:end]
            token.markup = "`"
        elif tag == "a":  # its text as written: Markdown there could hold another link
            state.push("link_open", "a", 1).attrs = {"href": href}
            text = src[start:end].strip()
            state.push("text", "", 0).content = state.md.normalizeLinkText(text) if command == "url" else text
            state.push("link_close", "a", -1)
        else:
            state.push(f"{tag}_open", tag, 1).markup = match.group()
            old_max = state.posMax
            state.pos, state.posMax = start, end
            state.md.inline.tokenize(state)
            state.posMax = old_max
            state.push(f"{tag}_close", tag, -1).markup = "}"
    state.pos = close + 1
    return True


def _math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`$$` or `\\[` starting a block, closed by `$$` or `\\]` ending a line."""
    if state.is_code_block(start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    opener = state.src[begin : begin + 2]
    if opener not in ("$$", "\\["):
        return False
    closer = CLOSERS[opener]
    lines: list[str] = []
    line = start_line
    text = state.src[begin + 2 : state.eMarks[start_line]]
    while True:
        stripped = text.rstrip()
        if stripped.endswith(closer) and closer not in stripped[: -len(closer)]:
            lines.append(stripped[: -len(closer)])
            break
        if closer in text:  # closed inside the line, then more text: math within a paragraph
            return False
        lines.append(text)
        line += 1
        # a blank line, the end of the container or a dedent ends the search: the paragraph
        # rule then reads these lines (so each line is scanned a bounded number of times)
        if line >= end_line or state.isEmpty(line) or state.sCount[line] < state.blkIndent:
            return False
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
    content = "\n".join(lines)
    if not content.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.map = [start_line, line + 1]
    state.line = line + 1
    return True


def _ties(state: StateCore) -> None:
    """`~` between two words (`Fig.~3`) is TeX's non-breaking space; not inside links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            elif token.type == "text" and not in_link and "~" in token.content:
                token.content = _TIE.sub("\u00a0", token.content)


def tex_plugin(md: MarkdownIt) -> None:
    """Add the math delimiters, the TeX text commands and ties to md."""
    md.inline.ruler.before("escape", "math_inline", _dollar_math)
    md.inline.ruler.before("escape", "math_brackets", _bracket_math)
    md.inline.ruler.before("escape", "tex_commands", _text_command)
    md.block.ruler.before("fence", "math_block", _math_block, {"alt": []})
    md.core.ruler.before("text_join", "tex_ties", _ties)
