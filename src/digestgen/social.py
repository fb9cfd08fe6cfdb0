"""Social images: a 1200×630 PNG card for each issue (and, when site.yaml asks, each paper)
that a link shared on a social site or in a chat shows: the title, the first authors (or an
issue's first papers), the date, and the site's name in the theme's accent colour.

Each card is a pure function of its Card record and the theme's bundled fonts: the same record
always gives the same bytes (one layout engine whatever the Pillow build, no PNG metadata), so
a build takes the image of an unchanged record from the last build (its File is made of the
record alone) and an edit redraws only the images whose text it changes.

What the fonts draw: Inter, Latin (every diacritic in use), Greek and Cyrillic, arrows and the
common operators; Noto Sans Math, the other mathematical symbols and alphabets. Anything else
(emoji, CJK, Indic scripts, and right-to-left scripts such as Arabic and Hebrew, which the
cards draw neither shaped nor in their order) is left out of the card, and a title that would
lose more than a quarter of its letters that way gets no card: its page then shares as a plain
summary, whose title the platform writes in its own fonts.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from digestgen.files import File

if TYPE_CHECKING:  # Pillow is imported where it draws: 20 ms that a build without cards saves
    from PIL import ImageDraw, ImageFont

    from digestgen.config import SiteConfig
    from digestgen.content import Paper
    from digestgen.site import Issue, SiteModel

WIDTH, HEIGHT = 1200, 630
FONTS = {"regular": "Inter-Regular.ttf", "bold": "Inter-Bold.ttf", "math": "NotoSansMath-Regular.woff"}
DRAWN_SHARE = 0.75  # of a title's letters a card must be able to draw
AUTHORS_SHOWN = 3
ISSUE_PAPERS_SHOWN = 3

# the default theme's light palette (style.css): --bg, --text, --muted, --border, --accent
BACKGROUND = (251, 250, 247)
INK = (29, 31, 35)
MUTED = (86, 93, 104)
RULE = (227, 225, 218)
DEFAULT_ACCENT = "#2c55c7"

MARGIN = 80
TITLE_TOP = 160
FOOTER_RULE = 532
TITLE_SIZES = (72, 64, 56, 50, 44, 40)  # largest first; the first that fits whole is taken
LINE_HEIGHT = 1.18
BYLINE_SIZE, BYLINE_GAP = 30, 26

Weight = Literal["regular", "bold"]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Card:
    """Everything a card shows; its image is a function of this and the fonts alone."""

    site: str
    accent: RGB
    title: str
    byline: tuple[str, ...]  # lines under the title: the authors, or an issue's first papers
    date: str  # at the left of the footer ('' for the site's address)
    note: str  # at the right of the footer: "8 papers", an arXiv id
    address: str  # the site's host and path
    path: str  # where the image goes in the site

    @property
    def alt(self) -> str:
        """The image's text alternative (og:image:alt)."""
        parts = [self.title, *self.byline, self.date, self.site]
        return " · ".join(part for part in parts if part)


# --- which cards a site has ------------------------------------------------------------------

def paper_image_path(paper_id: str) -> str:
    return f"papers/{paper_id}/og.png"


def issue_image_path(key: str) -> str:
    return f"issues/{key}/og.png"


class SocialCards:
    """The cards of one site: what each issue's and paper's card shows, if it has one."""

    def __init__(self, config: SiteConfig, issue_label: Callable[[Issue], str]):
        self.choice = config.fields.social_images
        self.site = config.fields.title
        self.accent = theme_accent(config)
        self.issue_label = issue_label
        address = urlsplit(config.base_url)
        self.address = ((address.hostname or "") + address.path).rstrip("/")

    def for_paper(self, paper: Paper) -> Card | None:
        """The paper's card: none when site.yaml draws no paper cards, when the paper brings its
        own image (which it shares instead), or when the fonts cannot write its title."""
        from digestgen.render import human_date
        from digestgen.schema import split_author

        if self.choice != "all" or paper.image:
            return None
        fonts = bundled_fonts()
        written = (_clean(split_author(name)[0]) for name in paper.authors)  # 'Wei Wang [wei-wang-ucla]'
        names = [name for name in written if fonts.share_drawn(name) >= DRAWN_SHARE]
        byline = (authors_line(names, len(paper.authors)),) if names else ()
        return self._card(paper.title, byline, human_date(paper.date), f"arXiv {paper.arxiv}" if paper.arxiv else "",
                          paper_image_path(paper.id))

    def for_issue(self, issue: Issue) -> Card | None:
        if self.choice == "none":
            return None
        count = len(issue.papers)
        label = self.issue_label(issue)
        papers = tuple(f"{number}. {_clean(paper.title)}"
                       for number, paper in enumerate(issue.papers[:ISSUE_PAPERS_SHOWN], 1))
        # an issue without a title is named by its label: 'Week 47' above '17–23 Nov 2025'
        name, _dot, span = label.partition(" · ")
        title, date = (issue.title, label) if issue.title else (name, span)
        return self._card(title, papers, date,
                          f"{count} paper{'s' if count != 1 else ''}", issue_image_path(issue.key))

    def _card(self, title: str, byline: tuple[str, ...], date: str, note: str, path: str) -> Card | None:
        fonts = bundled_fonts()
        title = _clean(title)
        if not title or fonts.share_drawn(title) < DRAWN_SHARE:
            return None
        # a line that would lose much (a paper's title in a script the fonts lack) is left out
        kept = tuple(fonts.drawable(line) for line in byline if fonts.share_drawn(line) >= DRAWN_SHARE)
        return Card(fonts.drawable(_clean(self.site)), self.accent, fonts.drawable(title), kept, date, note,
                    self.address, path)

    def image(self, source: object) -> Card | None:
        """The card of a paper or an issue, if it has one (the `social_image` template global)."""
        from digestgen.content import Paper
        from digestgen.site import Issue

        if isinstance(source, Paper):
            return self.for_paper(source)
        return self.for_issue(source) if isinstance(source, Issue) else None

    def cards(self, model: SiteModel) -> Iterator[tuple[Card, object]]:
        """Each card of the site with what it is made for (an Issue or a Paper)."""
        for issue in model.issues:
            card = self.for_issue(issue)
            if card is not None:
                yield card, issue
        for paper in model.papers:
            card = self.for_paper(paper)
            if card is not None:
                yield card, paper


def social_files(model: SiteModel) -> list[File]:
    """Every card of the site, each made of its Card alone: an unchanged card is not drawn again."""
    from digestgen.render import issue_label

    cadence = model.config.fields.cadence
    cards = SocialCards(model.config, lambda issue: issue_label(issue, cadence))
    return [File(card.path, functools.partial(draw, card), (), (card,)) for card, _source in cards.cards(model)]


def authors_line(names: list[str], total: int) -> str:
    """'Ada Lovelace, Alan Turing, Grace Hopper et al.': the first AUTHORS_SHOWN of names, of a
    paper of total authors."""
    shown = names[:AUTHORS_SHOWN]
    return ", ".join(shown) + (" et al." if total > len(shown) else "")


_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    """One line of composed text, without control or format characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs"))
    return _SPACE.sub(" ", text).strip()


# --- the theme's accent ----------------------------------------------------------------------

_ROOT_ACCENT = re.compile(r"--accent\s*:\s*([^;}]+)")


def theme_accent(config: SiteConfig) -> RGB:
    """The light scheme's --accent: the theme's style.css, then each extra_css in turn (the last
    one that sets it wins, as in the browser); the default theme's blue if none can be read."""
    from PIL import ImageColor

    from digestgen.render import theme_dirs

    sheets = [base / "static" / "style.css" for base in theme_dirs(config.root, config.fields.theme)]
    found = [sheet for sheet in sheets if sheet.is_file()][:1]
    found += [config.root / "static" / css for css in config.fields.extra_css]
    accent = ImageColor.getrgb(DEFAULT_ACCENT)
    for sheet in found:
        try:
            text = sheet.read_text("utf-8", errors="replace")
        except OSError:
            continue
        for value in root_values(text, _ROOT_ACCENT):
            try:
                accent = ImageColor.getrgb(value.strip())[:3]
            except ValueError:  # var(), oklch(), ...: not a colour Pillow knows; keep the last one
                pass
    return accent  # type: ignore[return-value]


def root_values(css: str, pattern: re.Pattern[str]) -> list[str]:
    """What pattern's group 1 matches in the top-level `:root { }` rules of css (not in @media
    blocks, not in :root[data-theme=...] and the like), in order."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0 and css[start:index].strip() == ":root":
                end = css.find("}", index)
                found += pattern.findall(css[index + 1 : end if end >= 0 else len(css)])
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
            start = index + 1
        elif char == ";" and depth == 0:
            start = index + 1
    return found


# --- fonts -----------------------------------------------------------------------------------

def font_folder() -> Path:
    from digestgen.render import builtin_theme

    return builtin_theme() / "fonts"


_RIGHT_TO_LEFT = frozenset({"R", "AL", "RLE", "RLO", "RLI"})


class Fonts:
    """The bundled faces at each size a card uses, and which characters each can draw."""

    def __init__(self, folder: Path):
        from PIL import ImageFont

        self.layout = ImageFont.Layout.BASIC  # the same bytes whether or not Pillow has libraqm
        self.data = {name: (folder / file).read_bytes() for name, file in FONTS.items()}
        self.faces: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}
        self.covers: dict[tuple[str, str], bool] = {}
        self.kept: dict[str, bool] = {}  # char -> drawn by some face in one weight or the other
        self.bold: dict[str, bool] = {}  # char -> drawn by some face in bold

    def face(self, name: str, size: int) -> ImageFont.FreeTypeFont:
        key = (name, size)
        found = self.faces.get(key)
        if found is None:
            from PIL import ImageFont

            found = self.faces[key] = ImageFont.truetype(io.BytesIO(self.data[name]), size, layout_engine=self.layout)
        return found

    def has(self, name: str, char: str) -> bool:
        """Whether the face has a glyph for char (its drawing differs from the missing glyph's)."""
        key = (name, char)
        found = self.covers.get(key)
        if found is None:
            face = self.face(name, 16)
            found = self.covers[key] = char == " " or _glyph(face, char) != _glyph(face, "\U0010ffff")
        return found

    def face_name(self, char: str, weight: Weight) -> str | None:
        if unicodedata.bidirectional(char) in _RIGHT_TO_LEFT:
            return None  # drawn left to right and unshaped, it would be wrong: left out
        if self.has(weight, char):
            return weight
        return "math" if self.has("math", char) else None

    def _keeps(self, char: str) -> bool:
        found = self.kept.get(char)
        if found is None:
            found = self.kept[char] = bool(self.face_name(char, "regular") or self.face_name(char, "bold"))
        return found

    def _bold(self, char: str) -> bool:
        found = self.bold.get(char)
        if found is None:
            found = self.bold[char] = self.face_name(char, "bold") is not None
        return found

    def drawable(self, text: str) -> str:
        """text without the characters no face can draw."""
        if not all(self._keeps(ch) for ch in set(text)):  # (each distinct character looked at once)
            text = "".join(ch for ch in text if self._keeps(ch))
        return _SPACE.sub(" ", text).strip()

    def share_drawn(self, text: str) -> float:
        letters = [ch for ch in text if not ch.isspace()]
        if not letters:
            return 0.0
        if all(self._bold(ch) for ch in set(letters)):
            return 1.0
        return sum(1 for ch in letters if self._bold(ch)) / len(letters)

    def runs(self, text: str, weight: Weight, size: int) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        """text cut into pieces each drawn in one face (characters no face has left out)."""
        runs: list[tuple[str, str]] = []
        for char in text:
            name = self.face_name(char, weight)
            if name is None:
                continue
            if runs and runs[-1][0] == name:
                runs[-1] = (name, runs[-1][1] + char)
            else:
                runs.append((name, char))
        return [(self.face(name, size), piece) for name, piece in runs]

    def width(self, text: str, weight: Weight, size: int) -> float:
        return sum(face.getlength(piece) for face, piece in self.runs(text, weight, size))

    def write(self, canvas: ImageDraw.ImageDraw, x: float, baseline: float, text: str, weight: Weight,
              size: int, anchor: str = "ls") -> None:
        """Draw text on a coverage mask with its baseline at baseline, from x (anchor "ls") or
        ending at x ("rs")."""
        if anchor == "rs":
            x -= self.width(text, weight, size)
        for face, piece in self.runs(text, weight, size):
            canvas.text((x, baseline), piece, font=face, fill=255, anchor="ls")
            x += face.getlength(piece)


def _glyph(face: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[float, float, float, float], bytes]:
    from PIL import Image, ImageDraw

    image = Image.new("L", (48, 48))
    ImageDraw.Draw(image).text((8, 8), char, font=face, fill=255)
    return face.getbbox(char), image.tobytes()


@functools.cache
def bundled_fonts() -> Fonts:
    """The theme's fonts, read once a process (they are part of the package)."""
    return Fonts(font_folder())


# --- drawing ---------------------------------------------------------------------------------

def wrap(fonts: Fonts, text: str, weight: Weight, size: int, width: float, most: int) -> tuple[list[str], bool]:
    """text in lines of at most width, and whether it had to be cut to `most` lines (the last
    one then ends in an ellipsis). A word wider than a line is broken where it must."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if fonts.width(joined, weight, size) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and fonts.width(word, weight, size) > width:
            cut = _fitting(fonts, word, weight, size, width)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    if len(lines) <= most:
        return lines, False
    return [*lines[: most - 1], ellipsized(fonts, lines[most - 1], weight, size, width)], True


def _fitting(fonts: Fonts, word: str, weight: Weight, size: int, width: float) -> int:
    """How many of word's first characters fit in width (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if fonts.width(word[:middle], weight, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def ellipsized(fonts: Fonts, line: str, weight: Weight, size: int, width: float) -> str:
    """line, shortened (by words where it can) until it fits in width with a closing '…'."""
    line = line.rstrip()
    while line and fonts.width(line + "…", weight, size) > width:
        shorter = line.rsplit(" ", 1)[0] if " " in line else line[:-1]
        line = shorter.rstrip()
    return line.rstrip(" ,;:.-–—") + "…"


def one_line(fonts: Fonts, text: str, weight: Weight, size: int, width: float) -> str:
    return text if fonts.width(text, weight, size) <= width else ellipsized(fonts, text, weight, size, width)


def draw(card: Card, fonts: Fonts | None = None) -> bytes:
    """The card as PNG bytes: an indexed image (a third of the size of a full-colour one).

    The text in the ink colour and the text in the muted one are drawn as coverage masks, each
    turned into the indices of a ramp of RAMP shades between the background and its colour
    (text never overlaps): three times as fast as drawing in full colour and quantizing."""
    from PIL import Image, ImageChops, ImageDraw

    fonts = fonts or bundled_fonts()
    ink, muted = Image.new("L", (WIDTH, HEIGHT)), Image.new("L", (WIDTH, HEIGHT))
    on_ink, on_muted = ImageDraw.Draw(ink), ImageDraw.Draw(muted)
    inner = WIDTH - 2 * MARGIN
    fonts.write(on_ink, MARGIN + 64, 95, one_line(fonts, card.site, "bold", 30, inner - 64), "bold", 30)
    # the byline's lines first: the title takes the room they leave
    byline = [one_line(fonts, line, "regular", BYLINE_SIZE, inner) for line in card.byline]
    byline_height = len(byline) * round(BYLINE_SIZE * 1.4) + (BYLINE_GAP if byline else 0)
    room = FOOTER_RULE - 40 - TITLE_TOP - byline_height
    size, lines = _title_lines(fonts, card.title, inner, room)
    step = round(size * LINE_HEIGHT)
    baseline = TITLE_TOP + size
    for line in lines:
        fonts.write(on_ink, MARGIN, baseline, line, "bold", size)
        baseline += step
    baseline += BYLINE_GAP - step + round(BYLINE_SIZE * 1.4)
    for line in byline:
        fonts.write(on_muted, MARGIN, baseline, line, "regular", BYLINE_SIZE)
        baseline += round(BYLINE_SIZE * 1.4)
    footer = one_line(fonts, card.date or card.address, "regular", 28, inner / 2)
    fonts.write(on_muted, MARGIN, 582, footer, "regular", 28)
    fonts.write(on_muted, WIDTH - MARGIN, 582, one_line(fonts, card.note, "bold", 28, inner / 2 - 20), "bold", 28,
                anchor="rs")
    image = ImageChops.add(ink.point(_INK_SHADES), muted.point(_MUTED_SHADES))
    image.putpalette(_palette(card.accent))  # now an indexed image
    shapes = ImageDraw.Draw(image)
    shapes.rectangle((0, 0, 15, HEIGHT), fill=_ACCENT)
    # the site's mark (the theme's logo) beside its name
    shapes.rounded_rectangle((MARGIN, 62, MARGIN + 44, 106), radius=10, fill=_ACCENT)
    for y, length in ((76, 24), (84, 24), (92, 15)):
        shapes.line((MARGIN + 10, y, MARGIN + 10 + length, y), fill=0, width=4)
    shapes.line((MARGIN, FOOTER_RULE, WIDTH - MARGIN, FOOTER_RULE), fill=_RULE, width=2)
    out = io.BytesIO()
    image.save(out, "PNG")  # no text chunks, no time: the same card, the same bytes
    return out.getvalue()


RAMP = 31  # shades of each text colour besides the background (index 0)
_INK_SHADES = [round(coverage * RAMP / 255) for coverage in range(256)]
_MUTED_SHADES = [shade and shade + RAMP for shade in _INK_SHADES]
_ACCENT, _RULE = 2 * RAMP + 1, 2 * RAMP + 2


def _palette(accent: RGB) -> list[int]:
    """Background, the ink and muted ramps, the accent, the rule: RGB triples, flat."""
    colours = [_mix(BACKGROUND, INK, step / RAMP) for step in range(RAMP + 1)]
    colours += [_mix(BACKGROUND, MUTED, step / RAMP) for step in range(1, RAMP + 1)]
    colours += [accent, RULE]
    return [channel for colour in colours for channel in colour]


def _mix(one: RGB, two: RGB, share: float) -> RGB:
    return (round(one[0] + (two[0] - one[0]) * share), round(one[1] + (two[1] - one[1]) * share),
            round(one[2] + (two[2] - one[2]) * share))


def _title_lines(fonts: Fonts, title: str, width: float, room: int) -> tuple[int, list[str]]:
    """The largest title size whose lines fit in room whole, or the smallest, cut with '…'."""
    for size in TITLE_SIZES:
        most = max(1, int((room - size) // round(size * LINE_HEIGHT)) + 1)
        lines, cut = wrap(fonts, title, "bold", size, width, most)
        if not cut:
            return size, lines
    return size, lines
