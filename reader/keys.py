"""The keys of a screen, gathered from its bindings, for the help screen and the palette."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textual.actions import parse
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
    enabled: bool = True
    """Whether it can run now (a disabled key is shown dimmed in the key bar)."""


def screen_keys(screen: Screen[Any], app: App[Any], *, every: bool = False) -> list[KeyEntry]:
    """The actions a screen offers and their keys, in binding order.

    Keys that run the same action of the same node are one entry (`q` on the library
    and the app's `ctrl+q` both run `app.quit`).

    Args:
        screen: The screen whose keys are wanted.
        app: Its app.
        every: Every meaning of each key, also those that do not apply now (escape
            cancels a selection only while there is one); else only what the keys do now.
    """
    entries: dict[tuple[int, str], KeyEntry] = {}
    for key, node, binding, enabled in _bindings(screen, app, every):
        namespace, name, _ = parse(binding.action)
        if name in HIDDEN_ACTIONS or not (binding.description or binding.tooltip):
            continue
        target = {"app": app, "screen": screen}.get(namespace, node)
        action = binding.action.removeprefix(f"{namespace}.") if namespace else binding.action
        description = DESCRIPTIONS.get(name, binding.description or binding.tooltip)
        tooltip = DESCRIPTIONS.get(name, binding.tooltip or binding.description)
        entry = entries.get((id(target), action))
        if entry is None:
            entry = KeyEntry(node, binding.action, [], description, tooltip, False)
            entries[id(target), action] = entry
        entry.enabled = entry.enabled or enabled
        label = app.get_key_display(binding.with_key(key))
        if label not in entry.keys:
            entry.keys.append(label)
    return list(entries.values())


def _bindings(
    screen: Screen[Any], app: App[Any], every: bool
) -> Iterator[tuple[str, DOMNode, Binding, bool]]:
    """(key, node, binding, whether it can run now) of each key the screen answers."""
    if not every:
        for key, active in screen.active_bindings.items():
            yield key, active.node, active.binding, active.enabled
        return
    # As Textual picks the binding of a key: the focused widget's, else its parent's, and
    # so on up to the app, but a priority binding first. Here all of that node's meanings
    # of the key, whether their `check_action` allows them now or not.
    chain = screen._modal_binding_chain
    owners: dict[str, tuple[DOMNode, bool]] = {}
    for node, bindings in chain:
        for key, binding in bindings:
            owner = owners.get(key)
            if owner is None or (binding.priority and not owner[1]):
                owners[key] = (node, binding.priority)
    for node, bindings in chain:
        for key, binding in bindings:
            if owners[key][0] is node:
                state = app._check_action_state(binding.action, node)
                yield key, node, binding, bool(state)


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
