"""The colours of passages (cursor line, selection, highlights, find matches), chosen for
the theme and for the colours the terminal has, so that no two of them look alike.

Terminals with 256 or 16 colours show the nearest colour they have: soft tints that
differ in truecolor (a green and a blue highlight over a dark surface) can land on the
same palette entry there. So the colours are picked per depth: blended tints in
truecolor, entries of the xterm 256-colour palette in 256 colours, and the sixteen
standard colours in 16 colours (the ANSI themes use those too, as the terminal's own
colours). Every role gets an entry of its own, none shared with the surface or the text,
and its text colour is the theme's unless that is hard to read on it (then black or
white). `passage_variables` gives them to the stylesheet as `$passage-ROLE` and
`$passage-ROLE-text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.color import EIGHT_BIT_PALETTE, STANDARD_PALETTE, ColorSystem
from textual.color import Color

ROLES = (
    "cursor",
    "highlight-yellow",
    "highlight-green",
    "highlight-blue",
    "highlight-pink",
    "match",
    "match-current",
    "selection",
)
"""Every passage colour, in the order they choose (an earlier role gets its first pick)."""

TRUECOLOR_TINTS: Mapping[bool, Mapping[str, tuple[str, float]]] = {
    True: {
        "cursor": ("#ffffff", 0.09),
        "highlight-yellow": ("#e8b400", 0.42),
        "highlight-green": ("#2fb344", 0.40),
        "highlight-blue": ("#3d7ff5", 0.50),
        "highlight-pink": ("#e8489a", 0.42),
        "match": ("#14c8c8", 0.45),
        "match-current": ("#ffc21a", 1.0),
        "selection": ("#9370ff", 0.55),
    },
    False: {
        "cursor": ("#000000", 0.07),
        "highlight-yellow": ("#ffd000", 0.50),
        "highlight-green": ("#3ccf4e", 0.40),
        "highlight-blue": ("#4d8df7", 0.38),
        "highlight-pink": ("#f05ca8", 0.36),
        "match": ("#00c4c4", 0.40),
        "match-current": ("#ff9f0a", 1.0),
        "selection": ("#c46cff", 0.38),
    },
}
"""Truecolor, by dark theme or light: a hue and how much of it covers the surface."""

EIGHT_BIT_CHOICES: Mapping[bool, Mapping[str, Sequence[int]]] = {
    True: {
        "cursor": (236, 237, 235, 238),
        "highlight-yellow": (58, 94, 100, 136),
        "highlight-green": (22, 28, 29, 64),
        "highlight-blue": (19, 18, 25, 26),
        "highlight-pink": (89, 53, 90, 125),
        "match": (30, 23, 31, 37),
        "match-current": (220, 214, 226, 178),
        "selection": (61, 60, 97, 98),
    },
    False: {
        "cursor": (254, 253, 255, 252),
        "highlight-yellow": (228, 229, 230, 222),
        "highlight-green": (120, 157, 156, 194),
        "highlight-blue": (111, 117, 153, 75),
        "highlight-pink": (218, 219, 225, 212),
        "match": (123, 87, 159, 51),
        "match-current": (208, 214, 172, 202),
        "selection": (183, 147, 177, 141),
    },
}
"""256 colours, by dark theme or light: xterm palette entries each role may take."""

STANDARD_CHOICES: Mapping[bool, Mapping[str, Sequence[int]]] = {
    True: {
        "cursor": (8, 0, 7),
        "highlight-yellow": (3,),
        "highlight-green": (2,),
        "highlight-blue": (4, 12),
        "highlight-pink": (5, 13),
        "match": (6, 14),
        "match-current": (11, 7),
        "selection": (12, 1, 9),
    },
    False: {
        "cursor": (7, 8),
        "highlight-yellow": (11, 3),
        "highlight-green": (10, 2),
        "highlight-blue": (12, 14),
        "highlight-pink": (13, 5),
        "match": (14, 6),
        "match-current": (0, 8, 4),
        "selection": (9, 1),
    },
}
"""16 colours, by dark theme or light: standard colours (0-15) each role may take."""

NO_COLOR_GREYS: Mapping[bool, Mapping[str, int]] = {
    True: {
        "cursor": 236,
        "highlight-yellow": 239,
        "highlight-green": 239,
        "highlight-blue": 239,
        "highlight-pink": 239,
        "match": 246,
        "match-current": 253,
        "selection": 243,
    },
    False: {
        "cursor": 253,
        "highlight-yellow": 250,
        "highlight-green": 250,
        "highlight-blue": 250,
        "highlight-pink": 250,
        "match": 244,
        "match-current": 237,
        "selection": 247,
    },
}
"""Without colour: the greys (256-colour entries) of each role; the four highlights share
one, told apart by their underlines and their marks."""

ANSI_NAMES = (
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "white",
    "bright_black",
    "bright_red",
    "bright_green",
    "bright_yellow",
    "bright_blue",
    "bright_magenta",
    "bright_cyan",
    "bright_white",
)

READABLE = 4.5
"""The least contrast (WCAG ratio) between a passage's text and its background."""

DEPTHS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "standard": ColorSystem.STANDARD,
    "windows": ColorSystem.STANDARD,
}
"""The colour depths Rich names (`Console.color_system`), as the palettes they show."""


def passage_variables(
    theme_variables: Mapping[str, str],
    dark: bool,
    depth: str | None,
    ansi: bool = False,
    no_color: bool = False,
) -> dict[str, str]:
    """The stylesheet's passage colours for a theme at a colour depth.

    Args:
        theme_variables: The theme's variables (`surface` and `foreground` are read).
        dark: Whether the theme is dark.
        depth: The terminal's colours as Rich names them (`truecolor`, `256`,
            `standard`, `windows`); None (no colour) is treated as 16 colours.
        ansi: Whether the theme is drawn in the terminal's own ANSI colours.
        no_color: Whether colour is off (NO_COLOR): then the passages are greys apart
            in lightness, and the stylesheet adds underlines (see `ParagraphView`).
    """
    surface = Color.parse(theme_variables["surface"])
    foreground = Color.parse(theme_variables["foreground"])
    system = DEPTHS.get(depth or "standard", ColorSystem.STANDARD)
    if ansi:
        system = ColorSystem.STANDARD
    if no_color:
        backgrounds = {role: palette_color(number) for role, number in NO_COLOR_GREYS[dark].items()}
        system = ColorSystem.EIGHT_BIT
        ansi = False
    elif system == ColorSystem.TRUECOLOR:
        backgrounds = {
            role: surface.blend(Color.parse(hue), amount)
            for role, (hue, amount) in TRUECOLOR_TINTS[dark].items()
        }
    else:
        standard = system == ColorSystem.STANDARD
        choices = (STANDARD_CHOICES if standard else EIGHT_BIT_CHOICES)[dark]
        taken = {shown(surface, system), shown(foreground, system)}
        backgrounds = {}
        if system == ColorSystem.EIGHT_BIT and not ansi:
            backgrounds["cursor"] = _cursor_line(surface, foreground)
            taken.add(shown(backgrounds["cursor"], system))
        for role in ROLES:
            if role in backgrounds:
                continue
            options = [palette_color(number, ansi=ansi) for number in choices[role]]
            free = [option for option in options if shown(option, system) not in taken]
            backgrounds[role] = (free or options)[0]
            taken.add(shown(backgrounds[role], system))
    variables: dict[str, str] = {}
    for role in ROLES:
        background = backgrounds[role]
        text = readable_text(background, foreground, system, ansi=ansi)
        variables[f"passage-{role}"] = background.hex if not ansi else _ansi_name(background)
        variables[f"passage-{role}-text"] = text.hex if not ansi else _ansi_name(text)
    return variables


def _cursor_line(surface: Color, foreground: Color) -> Color:
    """In 256 colours: the surface moved towards the text until it is two steps away
    (one step of the palette's greys is too faint to see at a glance)."""
    start = shown(surface, ColorSystem.EIGHT_BIT)
    for percent in range(8, 60, 2):
        color = surface.blend(foreground, percent / 100)
        if _steps(start, shown(color, ColorSystem.EIGHT_BIT)) >= 2:
            return color
    return surface.blend(foreground, 0.3)


def _steps(first: int, second: int) -> int:
    """How far apart two entries of the 256-colour palette look, in grey steps."""
    a = palette_color(first).rgb if first >= 0 else (0, 0, 0)
    b = palette_color(second).rgb if second >= 0 else (0, 0, 0)
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) // 10


def shown(color: Color, system: ColorSystem) -> int:
    """The palette entry a colour is shown as at a depth (-1: the terminal's default)."""
    if color.ansi is not None:
        return color.ansi
    downgraded = color.rich_color.downgrade(system)
    return -1 if downgraded.number is None else downgraded.number


def seen(color: Color, system: ColorSystem) -> tuple[int, int, int]:
    """The red, green and blue a person sees for a colour at a depth (the standard
    colours as Rich matches them; a terminal's own may differ a little)."""
    number = shown(color, system)
    if number < 0 or system == ColorSystem.TRUECOLOR:
        return color.rgb
    triplet = STANDARD_PALETTE[number] if number < 16 else EIGHT_BIT_PALETTE[number]
    return triplet.red, triplet.green, triplet.blue


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text(
    background: Color, text: Color, system: ColorSystem, *, ansi: bool = False
) -> Color:
    """The theme's text colour if it reads well on a background, else black or white."""
    behind = seen(background, system)
    if text.ansi is None and contrast(seen(text, system), behind) >= READABLE:
        return text
    black, white = (palette_color(0, ansi=ansi), palette_color(15, ansi=ansi))
    if contrast(seen(black, system), behind) >= contrast(seen(white, system), behind):
        return black
    return white


def palette_color(number: int, *, ansi: bool = False) -> Color:
    """Entry `number` of the 256-colour palette (0-15: the standard colours, as Rich
    matches them), or with `ansi` the terminal's own standard colour."""
    triplet = STANDARD_PALETTE[number] if number < 16 else EIGHT_BIT_PALETTE[number]
    return Color(triplet.red, triplet.green, triplet.blue, ansi=number if ansi else None)


def _ansi_name(color: Color) -> str:
    return f"ansi_{ANSI_NAMES[color.ansi]}" if color.ansi is not None else color.hex


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
