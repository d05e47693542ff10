"""The bottom line of every screen: the keys it answers, drawn as one line of text.

Textual's `Footer` builds a widget per key and rebuilds them all whenever a screen
opens, closes or changes focus; with reader's many keys that was most of the time a
screen took to open. This bar is one widget that reads the screen's active bindings
when they change and draws them; a click on a key presses it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.keys import key_to_character
from textual.screen import Screen
from textual.widget import Widget

TYPED_CHARACTERS = {"slash": "/"}
"""Keys that type a character Textual does not find by the key's name (it looks up the
Unicode name "SLASH"; the character is "SOLIDUS")."""


def typed_character(key: str) -> str | None:
    """The character a key types, if any."""
    return key_to_character(key) or TYPED_CHARACTERS.get(key)


class KeyBar(Widget):
    """The keys of the screen it is on, with what they do; the palette key on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._keys: list[tuple[int, int, str]] = []
        """Where each key is drawn (first cell, end cell) and the key it presses."""
        self.drawn: list[tuple[str, str, str, bool]] = []
        """The keys drawn last, as `items` gives them (those that fit the width)."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def items(self) -> tuple[list[tuple[str, str, str, bool]], tuple[str, str, str] | None]:
        """The keys to show, one per action (key, shown as, description, enabled), and the
        command palette's key."""
        app = self.app
        items: list[tuple[str, str, str, bool]] = []
        actions: set[str] = set()
        palette: tuple[str, str, str] | None = None
        focused = self.screen.focused
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                if enabled:
                    palette = (binding.key, app.get_key_display(binding), binding.description)
                continue
            if not binding.show or binding.action in actions:
                continue
            if (
                focused is not None
                and node is not focused
                and focused.check_consume_key(binding.key, typed_character(binding.key))
            ):
                continue  # a text field types it (Textual misses "/")
            actions.add(binding.action)
            items.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        return items, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        items, palette = self.items()
        width = self.size.width
        right = Text()
        if palette is not None:
            right.append("▏", "dim")
            right.append(palette[1], key_style)
            right.append(f" {palette[2]} ", description_style)
        room = max(0, width - right.cell_len) if width >= right.cell_len + 20 else width
        texts = []
        for _key, shown, description, enabled in items:
            item = Text(f" {shown} ", key_style)
            if description:
                item.append(f"{description} ", description_style)
            if not enabled:
                item.stylize(disabled_style)
            texts.append(item)
        # Back, quit and help always fit first; the others in order while there is room.
        essential = [_essential(key, description) for key, _, description, _ in items]
        left = room - sum(t.cell_len for t, kept in zip(texts, essential, strict=True) if kept)
        line = Text(no_wrap=True, overflow="crop", end="")
        keys: list[tuple[int, int, str]] = []
        drawn: list[tuple[str, str, str, bool]] = []
        for entry, item, always in zip(items, texts, essential, strict=True):
            if not always:
                if item.cell_len > left:
                    left = -1  # keep the order: nothing after a key that did not fit
                    continue
                left -= item.cell_len
            keys.append((line.cell_len, line.cell_len + item.cell_len, entry[0]))
            drawn.append(entry)
            line.append_text(item)
        if palette is not None and room < width:
            line.append(" " * (width - line.cell_len - right.cell_len))
            keys.append((line.cell_len, width, palette[0]))
            line.append_text(right)
        self._keys = keys
        self.drawn = drawn
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return


ESSENTIAL = {"escape", "q", "question_mark"}
"""Keys every screen shows whatever its width: back (or cancel), quit and help."""


def _essential(key: str, description: str) -> bool:
    return key in ESSENTIAL and bool(description)
