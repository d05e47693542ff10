"""The keys of a screen, gathered from its bindings, for the help screen and the palette."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App
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


def screen_keys(screen: Screen[object], app: App[object]) -> list[KeyEntry]:
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
