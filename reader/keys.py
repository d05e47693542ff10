"""The keys of a screen, gathered from its bindings, for the help screen and the palette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

HIDDEN_ACTIONS = {
    "scroll_left",
    "scroll_right",
    "page_left",
    "page_right",
    "focus_next",
    "focus_previous",
    "copy_text",
    "cursor_left",
    "cursor_right",
}
"""Inherited actions that mean nothing in reader (or have their own entry)."""

DESCRIPTIONS = {"quit": "Quit reader"}
"""Clearer words for inherited actions."""


@dataclass
class KeyEntry:
    """One action a screen offers, with every key that runs it."""

    node: DOMNode
    action: str
    keys: list[str]
    description: str
    """What it does, in a few words (the binding's description)."""
    tooltip: str
    """What it does, as a sentence."""


def screen_keys(screen: Screen[Any], app: App[Any]) -> list[KeyEntry]:
    """The actions available on a screen and their keys, in binding order."""
    entries: dict[tuple[int, str], KeyEntry] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        name = binding.action.rpartition(".")[2]
        if name in HIDDEN_ACTIONS or not (binding.description or binding.tooltip):
            continue
        description = DESCRIPTIONS.get(name, binding.description or binding.tooltip)
        tooltip = DESCRIPTIONS.get(name, binding.tooltip or binding.description)
        entry = entries.setdefault(
            (id(active.node), binding.action),
            KeyEntry(active.node, binding.action, [], description, tooltip),
        )
        label = app.get_key_display(binding.with_key(key))
        if label not in entry.keys:
            entry.keys.append(label)
    return list(entries.values())


def movement_bindings(item: str) -> list[BindingType]:
    """The keys that move a cursor through items: j/k and arrows, ends, screens.

    Args:
        item: What the cursor moves over, e.g. "paragraph" (used in the help texts).
    """
    return [
        Binding(
            "down,j", "cursor(1)", "Next", tooltip=f"Next {item}", show=False, id="cursor-next"
        ),
        Binding(
            "up,k",
            "cursor(-1)",
            "Previous",
            tooltip=f"Previous {item}",
            show=False,
            id="cursor-prev",
        ),
        Binding("g,home", "first", "First", tooltip=f"First {item}", show=False, id="cursor-first"),
        Binding("G,end", "last", "Last", tooltip=f"Last {item}", show=False, id="cursor-last"),
        Binding(
            "space,pagedown",
            "page(1)",
            "Page down",
            tooltip="A screen down",
            show=False,
            id="page-down",
        ),
        Binding("b,pageup", "page(-1)", "Page up", tooltip="A screen up", show=False, id="page-up"),
    ]
