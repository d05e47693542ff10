"""Copying text to the system clipboard, or the terminal's when there is none."""

from __future__ import annotations

from textual.app import App


def copy_text(app: App[object], text: str) -> str:
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
        app.copy_to_clipboard(text)
        return "Copied through the terminal (no system clipboard found)"
    return "Copied to the clipboard"
