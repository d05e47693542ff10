"""How passages look at every colour depth, where notices go, and what the gutter and the
key bar show: checked on what the app draws, as a terminal would receive it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.store import AnnotationStore
from reader.app import ReaderApp
from reader.colours import ROLES, contrast, passage_variables, seen, shown
from reader.screens.article import ArticleScreen
from reader.widgets.key_bar import KeyBar
from reader.widgets.notices import NoticeLine
from reader.widgets.paragraph_view import HIGHLIGHT_MARKS, ParagraphView
from tests.conftest import FixedClock
from tests.tui.conftest import AppFactory, screen_text

DEPTHS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "standard": ColorSystem.STANDARD,
}
WORDS = ("Alpha", "Bravo", "Charlie", "Delta")
"""One word per highlight colour, in the order of HIGHLIGHT_COLORS."""


@pytest.fixture
def marked(tmp_path: Path, clock: FixedClock) -> tuple[AnnotationStore, str]:
    """A library with one article: a word in each highlight colour, words to find, more."""
    store = AnnotationStore(tmp_path / "looks.db", clock=clock)
    blocks = [
        Block(BlockKind.PARAGRAPH, "Alpha and Bravo and Charlie and Delta stand in a row."),
        Block(BlockKind.PARAGRAPH, "Echo calls once, then echo calls again."),
        Block(BlockKind.PARAGRAPH, "Foxtrot is the paragraph that gets selected."),
        Block(BlockKind.PARAGRAPH, "Golf closes the article."),
    ]
    article = store.import_document(Document("Marked", blocks, source="/looks.txt")).article
    text = blocks[0].text
    for word, color in zip(WORDS, HIGHLIGHT_COLORS, strict=True):
        start = text.index(word)
        store.add_highlight(article.id, (0, start), (0, start + len(word)), color=color)
    return store, article.id


def backgrounds(app: ReaderApp) -> dict[str, Style]:
    """The style of the first segment drawn for each word on the screen, after the app's
    own filters (the grey of NO_COLOR), as the terminal receives it."""
    found: dict[str, Style] = {}
    background = app.screen.styles.background
    for strip in app.screen._compositor.render_strips():
        segments: list[Segment] = list(strip)
        for line_filter in app._filters:
            segments = line_filter.apply(segments, background)
        for segment in segments:
            word = segment.text.strip().split(" ")[0] if segment.text.strip() else ""
            if word and word not in found and segment.style is not None:
                found[word] = segment.style
    return found


async def drawn_roles(app: ReaderApp, article_id: str) -> dict[str, Style]:
    """The style each passage role is drawn with: highlights, matches, selection, cursor."""
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, ArticleScreen)
        await pilot.press("slash", *"echo", "enter")
        await pilot.press("j", "v")
        await pilot.pause()
        drawn = backgrounds(app)
        roles = {
            f"highlight-{color}": drawn[word]
            for word, color in zip(WORDS, HIGHLIGHT_COLORS, strict=True)
        }
        roles["match-current"] = drawn["Echo"]
        roles["match"] = drawn["echo"]
        roles["selection"] = drawn["Foxtrot"]
        await pilot.press("escape", "escape", "j")
        await pilot.pause()
        roles["cursor"] = backgrounds(app)["Golf"]
        roles["surface"] = backgrounds(app)["and"]
    return roles


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_every_passage_colour_lands_on_its_own_palette_entry(
    marked: tuple[AnnotationStore, str], make_app: AppFactory, depth: str, theme: str
) -> None:
    """Four highlights, the find match, the current match, the selection and the cursor
    line: drawn in as many different colours as the terminal shows, and readable."""
    store, article_id = marked
    store.set_setting("theme", theme)
    app = make_app(store, open_article=article_id, colour_depth=depth)
    roles = await drawn_roles(app, article_id)
    system = DEPTHS[depth]
    entries = {}
    for role, style in roles.items():
        assert style.bgcolor is not None, role
        downgraded = style.bgcolor.downgrade(system)
        entries[role] = downgraded.get_truecolor() if depth == "truecolor" else downgraded.number
    if depth == "truecolor":
        for first, second in itertools.combinations(entries, 2):
            assert _distance(entries[first], entries[second]) >= 40, (first, second)
    else:
        assert len(set(entries.values())) == len(entries), entries
    for role in ROLES:
        style = roles[role]
        if role != "cursor":  # the cursor line keeps the colours of the text on it
            assert style.color is not None
            assert _readable(style, system), role


def test_passage_colours_stay_apart_in_every_built_in_theme() -> None:
    """No theme Textual ships makes two passage colours collapse, at any depth."""
    for name, theme in BUILTIN_THEMES.items():
        variables = {**theme.to_color_system().generate(), **theme.variables}
        for depth, system in DEPTHS.items():
            colours = passage_variables(variables, theme.dark, depth, ansi=theme.ansi)
            backs = {role: Color.parse(colours[f"passage-{role}"]) for role in ROLES}
            if theme.ansi:
                system = ColorSystem.STANDARD
            if system == ColorSystem.TRUECOLOR:
                for first, second in itertools.combinations(backs.values(), 2):
                    assert _distance(first.rgb, second.rgb) >= 40, (name, depth)
            else:
                numbers = [shown(color, system) for color in backs.values()]
                assert len(set(numbers)) == len(numbers), (name, depth, numbers)
            for role in ROLES:
                text = Color.parse(colours[f"passage-{role}-text"])
                ratio = contrast(seen(text, system), seen(backs[role], system))
                assert ratio >= 4.5, (name, depth, role, ratio)


async def test_without_colour_highlights_differ_by_their_underline(
    marked: tuple[AnnotationStore, str], make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: greys only, and each highlight colour has an underline of its own."""
    monkeypatch.setenv("NO_COLOR", "1")
    store, article_id = marked
    app = make_app(store, open_article=article_id, colour_depth="256")
    assert app.no_color
    roles = await drawn_roles(app, article_id)
    for style in roles.values():
        if style.bgcolor is not None:
            red, green, blue = style.bgcolor.get_truecolor()
            assert red == green == blue  # grey
    looks = {
        color: (
            roles[f"highlight-{color}"].underline,
            roles[f"highlight-{color}"].underline2,
            roles[f"highlight-{color}"].italic,
        )
        for color in HIGHLIGHT_COLORS
    }
    assert len(set(looks.values())) == len(HIGHLIGHT_COLORS), looks
    assert roles["match"].reverse and roles["match-current"].reverse


async def test_tag_and_note_lines_carry_the_mark_of_their_highlight(
    tmp_path: Path, clock: FixedClock, make_app: AppFactory
) -> None:
    """A green highlight with tags and a note and a yellow one in the same paragraph: the
    gutter shows both `#` and `✎`, and each line under the paragraph starts with the
    mark of the highlight it belongs to."""
    store = AnnotationStore(tmp_path / "marks.db", clock=clock)
    text = "The first part is green and the second part is yellow."
    article = store.import_document(
        Document("Marks", [Block(BlockKind.PARAGRAPH, text)], source="/marks.txt")
    ).article
    green = text.index("first part")
    yellow = text.index("second part")
    store.add_highlight(
        article.id,
        (0, green),
        (0, green + 10),
        color="green",
        tags=["idea"],
        note="Compare later",
    )
    store.add_highlight(article.id, (0, yellow), (0, yellow + 11), color="yellow", tags=["later"])
    app = make_app(store, open_article=article.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        first = next(line for line in lines if "The first part" in line)
        assert "#✎ The first part" in first
        below = lines[lines.index(first) + 1 : lines.index(first) + 4]
        assert below[0].strip() == f"{HIGHLIGHT_MARKS['green']} #idea"
        assert below[1].strip() == f"{HIGHLIGHT_MARKS['green']}   Compare later"
        assert below[2].strip() == f"{HIGHLIGHT_MARKS['yellow']} #later"


async def test_notices_take_their_own_line_and_go_away(
    marked: tuple[AnnotationStore, str], make_app: AppFactory
) -> None:
    """A notice shows above the key bar, never over the text or the status line; two in a
    row while a note is being written leave the editor uncovered; then they go."""
    store, article_id = marked
    app = make_app(store, open_article=article_id)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        notice = screen.query_one(NoticeLine)
        assert not notice.display or notice.region.height == 0
        app.notify("Tags saved", timeout=0.5)
        await pilot.pause()
        view = screen.query_one(ParagraphView)
        status = screen.query_one("#article-status")
        bar = screen.query_one(KeyBar)
        assert notice.region.height == 1
        for other in (view, status, bar):
            assert not notice.region.overlaps(other.region), other
        assert "Tags saved" in screen_text(app)
        await pilot.press("n")
        editor = app.screen.query_one("TextArea")
        app.notify("First")
        app.notify("Second", severity="warning")
        await pilot.pause()
        assert not notice.region.overlaps(editor.region)
        assert "Second" in str(notice.render())
        app.notify("Short", timeout=0.2)
        await pilot.pause(0.5)
        assert notice.region.height == 0 or not notice.display


@pytest.mark.parametrize(("width", "height"), [(80, 24), (60, 20)])
async def test_the_key_bar_keeps_back_quit_and_help_on_small_terminals(
    marked: tuple[AnnotationStore, str], make_app: AppFactory, width: int, height: int
) -> None:
    """Narrow terminals drop other keys before quit, help and back."""
    store, _ = marked
    app = make_app(store)
    async with app.run_test(size=(width, height)) as pilot:
        bar = screen_text(app).splitlines()[-1]
        assert "q Quit" in bar and "? Keys" in bar
        await pilot.press("enter")
        bar = screen_text(app).splitlines()[-1]
        assert "esc Back" in bar and "? Keys" in bar


def _distance(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """How different two colours look ("redmean", a cheap approximation of perception)."""
    mean = (first[0] + second[0]) / 2
    red, green, blue = (a - b for a, b in zip(first, second, strict=True))
    return float(
        ((2 + mean / 256) * red**2 + 4 * green**2 + (2 + (255 - mean) / 256) * blue**2) ** 0.5
    )


def _readable(style: Style, system: ColorSystem) -> bool:
    assert style.color is not None and style.bgcolor is not None
    text = style.color.downgrade(system).get_truecolor()
    back = style.bgcolor.downgrade(system).get_truecolor()
    if system == ColorSystem.STANDARD:
        # The standard colours as Rich matches them (a terminal's own may differ a little).
        from rich.color import STANDARD_PALETTE

        text = STANDARD_PALETTE[style.color.downgrade(system).number or 0]
        back = STANDARD_PALETTE[style.bgcolor.downgrade(system).number or 0]
    return contrast(tuple(text), tuple(back)) >= 4.5  # type: ignore[arg-type]
