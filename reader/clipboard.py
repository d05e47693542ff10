"""Copying text to the system clipboard, or the terminal's when there is none."""

from __future__ import annotations

import base64
import os
from typing import Any

from textual.app import App


def osc52_sequence(text: str, *, tmux: bool = False) -> str:
    """The terminal escape sequence that puts text on the clipboard (OSC 52).

    Inside tmux the sequence is wrapped for passthrough, so that it reaches the
    terminal outside rather than stopping at tmux.
    """
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;c;{payload}\x07"
    if tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


def copy_text(app: App[Any], text: str) -> str:
    """Copy text to the clipboard and say how it went.

    pyperclip is tried first; without a system clipboard (a server, SSH) the text is
    sent to the terminal with OSC 52, which most terminals honour.

    Returns:
        A message for the user.
    """
    import pyperclip

    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException:
        pass
    else:
        return "Copied to the clipboard"
    in_tmux = bool(os.environ.get("TMUX"))
    app.copy_to_clipboard(text)
    if in_tmux and app._driver is not None:
        # tmux forwards the plain sequence with `set-clipboard on`, the wrapped one
        # with `allow-passthrough on`; sending both works with either.
        app._driver.write(osc52_sequence(text, tmux=True))
        return "Sent to the terminal's clipboard (in tmux this needs set-clipboard on)"
    return "Sent to the terminal's clipboard (no system clipboard found)"
