"""Just enough of a terminal to read what Textual draws."""

from __future__ import annotations

import codecs
import re

from rich.cells import get_character_cell_size

_ESCAPE = re.compile(
    r"\x1b\[([0-?]*)[ -/]*([@-~])"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[^\[\]]"  # two-character escapes
)
_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")


class Terminal:
    """A screen of cells fed with a program's output: cursor moves, erasing, text.

    Textual draws every changed line as a cursor move followed by styled text, with
    autowrap off, so this much is enough to know what the screen shows.
    """

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.cells = [[" "] * columns for _ in range(rows)]
        self.x = self.y = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, data: bytes) -> None:
        """Take output as it came (an escape or a character may be cut between reads)."""
        text = self._pending + self._decoder.decode(data)
        position = 0
        while position < len(text):
            match = _ESCAPE.match(text, position)
            if match:
                if match.group(2):
                    self._csi(match.group(1), match.group(2))
                position = match.end()
                continue
            character = text[position]
            if character == "\x1b":
                break  # the rest of it comes with the next read
            if character == "\r":
                self.x = 0
            elif character == "\n":
                self.y = min(self.rows - 1, self.y + 1)
            elif character == "\b":
                self.x = max(0, self.x - 1)
            match = _TEXT.match(text, position)
            if match is None:
                position += 1
                continue
            for letter in match.group():
                self._put(letter)
            position = match.end()
        self._pending = text[position:]

    def _put(self, letter: str) -> None:
        width = get_character_cell_size(letter)
        if width == 0 or self.x + width > self.columns:
            return
        self.cells[self.y][self.x] = letter
        if width == 2:
            self.cells[self.y][self.x + 1] = ""
        self.x += width

    def _csi(self, parameters: str, final: str) -> None:
        if parameters.startswith(("?", ">", "<", "=")):
            return  # modes and queries
        numbers = [int(part) if part.isdigit() else 0 for part in parameters.split(";")]
        first = numbers[0] or 1
        if final in "Hf":
            row = first
            column = numbers[1] if len(numbers) > 1 and numbers[1] else 1
            self.y = min(self.rows, row) - 1
            self.x = min(self.columns, column) - 1
        elif final == "A":
            self.y = max(0, self.y - first)
        elif final == "B":
            self.y = min(self.rows - 1, self.y + first)
        elif final == "C":
            self.x = min(self.columns - 1, self.x + first)
        elif final == "D":
            self.x = max(0, self.x - first)
        elif final == "G":
            self.x = min(self.columns, first) - 1
        elif final == "J" and numbers[0] in (2, 3):
            self.cells = [[" "] * self.columns for _ in range(self.rows)]
        elif final == "K":
            start, end = {0: (self.x, self.columns), 1: (0, self.x + 1)}.get(
                numbers[0], (0, self.columns)
            )
            for column in range(start, end):
                self.cells[self.y][column] = " "

    def text(self) -> str:
        """The screen, one line per row."""
        return "\n".join("".join(row) for row in self.cells)
