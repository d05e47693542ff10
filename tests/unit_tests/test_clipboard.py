"""The OSC 52 clipboard sequence, plain and wrapped for tmux."""

from __future__ import annotations

import base64

from reader.clipboard import osc52_sequence


def test_plain_sequence_carries_the_text() -> None:
    """The payload is the text in base64, between OSC 52 and BEL."""
    sequence = osc52_sequence("Goïta — 3.5")
    assert sequence.startswith("\x1b]52;c;") and sequence.endswith("\x07")
    assert base64.b64decode(sequence[7:-1]).decode() == "Goïta — 3.5"


def test_tmux_sequence_is_wrapped_for_passthrough() -> None:
    """Inside tmux the sequence is a DCS passthrough with its escapes doubled."""
    sequence = osc52_sequence("x", tmux=True)
    assert sequence.startswith("\x1bPtmux;\x1b\x1b]52;c;")
    assert sequence.endswith("\x07\x1b\\")
