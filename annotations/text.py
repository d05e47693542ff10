"""Line ends of text from anywhere: Windows (CRLF) and old Mac (CR) ones made LF."""

from __future__ import annotations


def normalize_newlines(text: str, *, keep_lone_cr: bool = False) -> str:
    """Text with CRLF and lone CR line ends as LF.

    Args:
        text: Any text.
        keep_lone_cr: Turn only CRLF into LF, leaving a lone CR as it is (for text
            where a lone CR is a character to show, not a line end).
    """
    text = text.replace("\r\n", "\n")
    return text if keep_lone_cr else text.replace("\r", "\n")
