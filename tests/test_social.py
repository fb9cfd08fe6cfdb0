"""Social images: a 1200×630 PNG card per issue (and per paper with social_images: all), the
Open Graph and Twitter tags that point at them, their bytes, and titles the fonts cannot draw."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from helpers_core import copy_site, tree_digest
from PIL import Image

from digestgen import social
from digestgen.build import build
from digestgen.config import load_config
from digestgen.errors import ContentError
from digestgen.load import check
from digestgen.render import issue_label

BASE = "https://user.github.io/digest/"
ISSUES = ("2025-W46", "2025-W47")


def _meta(page: str) -> dict[str, str]:
    tags = re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)"', page)
    return dict(tags)


def _site(tmp_path: Path, choice: str | None = None) -> Path:
    site = copy_site("basic", tmp_path / "site")
    if choice is not None:
        with (site / "site.yaml").open("a", encoding="utf-8") as yaml:
            yaml.write(f"social_images: {choice}\n")
    return site


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_each_issue_gets_a_card_and_the_tags_that_show_it(basic_build: Path) -> None:
    for key in ISSUES:
        image = _png((basic_build / "issues" / key / "og.png").read_bytes())
        assert image.size == (1200, 630) and image.mode == "P" and not image.info.get("transparency")
        assert not {"Software", "Creation Time", "date:create"} & set(image.info)  # no metadata
        meta = _meta((basic_build / "issues" / key / "index.html").read_text("utf-8"))
        assert meta["og:image"] == f"{BASE}issues/{key}/og.png"
        assert (meta["og:image:width"], meta["og:image:height"], meta["og:image:type"]) == ("1200", "630", "image/png")
        assert meta["twitter:card"] == "summary_large_image"
        assert meta["og:image:alt"].endswith(" · Basic Digest")
    titled = _meta((basic_build / "issues" / "2025-W47" / "index.html").read_text("utf-8"))
    assert titled["og:image:alt"].startswith("Transformers everywhere · 1. Attention Is All You Need · ")
    home = _meta((basic_build / "index.html").read_text("utf-8"))  # the latest issue's
    assert (home["og:image"], home["twitter:card"]) == (f"{BASE}issues/2025-W47/og.png", "summary_large_image")


def test_papers_have_no_card_by_default(basic_build: Path) -> None:
    assert not list((basic_build / "papers").rglob("og.png"))
    meta = _meta((basic_build / "papers" / "1706.03762" / "index.html").read_text("utf-8"))
    assert "og:image" not in meta and meta["twitter:card"] == "summary"
    own = _meta((basic_build / "papers" / "2010.11929" / "index.html").read_text("utf-8"))
    assert own["og:image"] == f"{BASE}img/vit.svg" and own["twitter:card"] == "summary_large_image"


def test_all_draws_a_card_for_each_paper_without_its_own_image(tmp_path: Path) -> None:
    site = _site(tmp_path, "all")
    build(site)
    out = site / "public"
    cards = sorted(path.parent.name for path in (out / "papers").rglob("og.png"))
    assert cards == ["1706.03762", "1707.06347", "low-rank"]  # 2010.11929 shares its own image
    meta = _meta((out / "papers" / "1706.03762" / "index.html").read_text("utf-8"))
    assert meta["og:image"] == f"{BASE}papers/1706.03762/og.png"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image:alt"] == ("Attention Is All You Need · Ashish Vaswani, Noam Shazeer, Niki Parmar et al. · "
                                    "18 Nov 2025 · Basic Digest")
    assert _png((out / "papers" / "low-rank" / "og.png").read_bytes()).size == (1200, 630)


def test_none_draws_nothing(tmp_path: Path) -> None:
    site = _site(tmp_path, "none")
    build(site)
    assert not list((site / "public").rglob("og.png"))
    for page in ("issues/2025-W47/index.html", "index.html"):
        meta = _meta((site / "public" / page).read_text("utf-8"))
        assert "og:image" not in meta and meta["twitter:card"] == "summary"


def test_a_bad_choice_names_the_field(tmp_path: Path) -> None:
    from digestgen.errors import ConfigError

    site = _site(tmp_path, "papers")
    with pytest.raises(ConfigError, match=r"site\.yaml:\d+:\d+: social_images: "):
        load_config(site)


def test_two_cold_builds_give_the_same_bytes(tmp_path: Path, basic_build: Path) -> None:
    site = _site(tmp_path, "all")
    build(site, use_cache=False)
    first = tree_digest(site / "public")
    build(site, use_cache=False)
    assert tree_digest(site / "public") == first
    assert all(first[f"issues/{key}/og.png"] == tree_digest(basic_build)[f"issues/{key}/og.png"] for key in ISSUES)


def _card(title: str, byline: tuple[str, ...] = ("Ada Lovelace",)) -> social.Card:
    return social.Card("Papers of the Week", (44, 85, 199), title, byline, "18 Nov 2025", "arXiv 2511.11002",
                       "example.org", "papers/x/og.png")


HOSTILE = {
    "long": "On the Extraordinarily Long and Winding Titles of Some Papers " * 12,
    "one long word": "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8,
    "rtl and emoji": "🚀 Models 🤖 for שלום עולם and مرحبا بالعالم, " + "tested " * 40,
    "math": "Bounds for ∫₀^∞ f(x) dx when ∇·F = 0, ‖x‖ ⊗ 𝓛 ⟨a, b⟩ → ℕ",
    "controls": "Zero\u200bwidth\u202eoverride\x00null\ttab",
    "empty byline": "A title",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_any_title_draws_a_card_of_the_right_size(name: str) -> None:
    card = _card(HOSTILE[name], () if name == "empty byline" else ("Ada Lovelace",))
    data = social.draw(card)
    assert _png(data).size == (1200, 630)
    assert social.draw(card) == data


def test_long_titles_are_cut_with_an_ellipsis() -> None:
    fonts = social.bundled_fonts()
    lines, cut = social.wrap(fonts, HOSTILE["long"].strip(), "bold", 40, 1040, 5)
    assert cut and len(lines) == 5 and lines[-1].endswith("…")
    assert all(fonts.width(line, "bold", 40) <= 1040 for line in lines)
    broken, cut = social.wrap(fonts, HOSTILE["one long word"], "bold", 72, 1040, 20)
    assert not cut and "".join(broken) == HOSTILE["one long word"]
    assert all(fonts.width(line, "bold", 72) <= 1040 for line in broken)


def test_the_fonts_say_what_they_cannot_draw() -> None:
    fonts = social.bundled_fonts()
    assert fonts.drawable("Łódź, Nguyễn, Ψηφιακή, Привет: ∀x ∈ ℝ, ∑ αᵢ ≤ ∞ → 𝓛") == \
        "Łódź, Nguyễn, Ψηφιακή, Привет: ∀x ∈ ℝ, ∑ αᵢ ≤ ∞ → 𝓛"
    assert fonts.drawable("🚀 Models 🤖 for שלום and مرحبا and 大規模") == "Models for and and"
    assert fonts.share_drawn("大規模言語モデルの評価 (LLM)") < social.DRAWN_SHARE


def test_a_title_the_fonts_cannot_write_gets_no_card(tmp_path: Path) -> None:
    site = _site(tmp_path, "all")
    paper = site / "content" / "papers" / "2025" / "1707.06347.md"
    text = paper.read_text("utf-8")
    paper.write_text(re.sub(r"(?m)^title: .*$", "title: 大規模言語モデルの評価について (PPO)", text), "utf-8")
    paper2 = site / "content" / "papers" / "2025" / "low-rank.md"
    text = re.sub(r"(?m)^title: .*$", 'title: "Low-rank 🚀 adaptation for שלום models"', paper2.read_text("utf-8"))
    paper2.write_text(re.sub(r"(?m)^authors: .*$", 'authors: [王小明, "Ada Lovelace [ada]", 李华]', text), "utf-8")
    (site / "content" / "authors.yaml").write_text("ada: {name: Ada Lovelace}\n", "utf-8")
    build(site)
    out = site / "public" / "papers"
    assert not (out / "1707.06347" / "og.png").exists()
    assert _meta((out / "1707.06347" / "index.html").read_text("utf-8"))["twitter:card"] == "summary"
    assert (out / "low-rank" / "og.png").exists()
    alt = _meta((out / "low-rank" / "index.html").read_text("utf-8"))["og:image:alt"]
    assert alt.startswith("Low-rank adaptation for models · Ada Lovelace et al. · ")  # names it cannot write: et al.
    issue = _meta((site / "public" / "issues" / "2025-W46" / "index.html").read_text("utf-8"))["og:image:alt"]
    assert (
        issue == "Week 46 · 1. Low-rank adaptation for models · 10–16 Nov 2025 · Basic Digest"
    )  # its other paper: left out


def test_the_accent_is_the_themes_and_extra_css_can_change_it(tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert social.theme_accent(load_config(site)) == (0x2C, 0x55, 0xC7)
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "brand.css").write_text(
        "/* :root { --accent: #000; } */\n@media (prefers-color-scheme: dark) { :root { --accent: #ffffff; } }\n"
        ":root[data-theme=dark] { --accent: #eeeeee; }\n:root { --accent: rgb(192, 57, 43); --accent-soft: #fff; }\n"
        ":root { --accent: var(--brand); }\n", "utf-8")
    with (site / "site.yaml").open("a", encoding="utf-8") as yaml:
        yaml.write("extra_css: [brand.css]\n")
    assert social.theme_accent(load_config(site)) == (192, 57, 43)


def test_an_edit_redraws_only_the_cards_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, "all")
    drawn = tmp_path / "drawn.txt"
    real = social.draw

    def counted(card: social.Card, fonts: social.Fonts | None = None) -> bytes:
        with drawn.open("a", encoding="utf-8") as log:  # forked processes draw too
            log.write(card.path + "\n")
        return real(card, fonts)

    monkeypatch.setattr(social, "draw", counted)
    build(site)
    assert len(drawn.read_text("utf-8").split()) == 5
    paper = site / "content" / "papers" / "2025" / "1706.03762.md"
    paper.write_text(paper.read_text("utf-8").replace("tldr: Attention alone", "tldr: Attention by itself"), "utf-8")
    drawn.write_text("", "utf-8")
    build(site)
    assert drawn.read_text("utf-8").split() == []  # the tldr is on no card
    paper.write_text(paper.read_text("utf-8").replace("title: Attention Is All You Need", "title: Attention Is Enough"),
                     "utf-8")
    build(site)
    assert sorted(drawn.read_text("utf-8").split()) == ["issues/2025-W47/og.png", "papers/1706.03762/og.png"]
    incremental = tree_digest(site / "public")
    build(site, use_cache=False)
    assert tree_digest(site / "public") == incremental


def test_a_static_file_cannot_take_a_cards_place(tmp_path: Path) -> None:
    site = _site(tmp_path)
    build(site)
    (site / "static" / "issues" / "2025-W47").mkdir(parents=True)
    (site / "static" / "issues" / "2025-W47" / "og.png").write_bytes(b"not a card")
    refused = (r"^static/issues/2025-W47/og\.png:1:1: \(file\): static file would be published at "
               r"/issues/2025-W47/og\.png, where content/issues/2025-W47\.md writes /issues/2025-W47/og\.png")
    with pytest.raises(ContentError, match=refused):
        check(site)
    with pytest.raises(ContentError, match=refused):
        build(site)


def test_cards_follow_the_issue_label(tmp_path: Path) -> None:
    config = load_config(_site(tmp_path))
    from digestgen.load import load_site

    model, _warnings = load_site(config)
    cards = social.SocialCards(config, lambda issue: issue_label(issue, "weekly"))
    untitled = cards.for_issue(model.issues_by_key["2025-W46"])
    assert untitled is not None
    assert (untitled.title, untitled.date, untitled.note) == ("Week 46", "10–16 Nov 2025", "2 papers")
    titled = cards.for_issue(model.issues_by_key["2025-W47"])
    assert titled is not None and (titled.title, titled.date) == ("Transformers everywhere", "Week 47 · 17–23 Nov 2025")
