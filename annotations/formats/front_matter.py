"""YAML front matter of Markdown files, read with PyYAML's safe loader."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import yaml

FRONT_MATTER_CHARACTERS = 100_000
"""Front matter longer than this is kept as text, not read (its parsing time grows with it)..."""
FRONT_MATTER_VALUES = 5_000
"""...as is front matter holding more values than this..."""
FRONT_MATTER_DEPTH = 32
"""...or nested deeper than this (the parser recurses at each level)."""

Meta = dict[str, str | list[str]]
"""Front matter keys (lower case) to their text, or to a list of texts."""


@dataclass(frozen=True)
class FrontMatter:
    """What the front matter at the start of a Markdown file says.

    Attributes:
        meta: Its keys, in lower case, to their text or list of texts. Dates are ISO
            text (`2025-09-14`, `2025-09-14T08:30:00`); numbers and booleans the text
            they were written as; null values, nested mappings and keys that are not
            text are left out.
        text: The front matter as written, delimiters included, when it could not be
            read (so it can be shown as text); "" otherwise.
        problem: Why it could not be read, one line; None when it was.
    """

    meta: Meta = field(default_factory=dict)
    text: str = ""
    problem: str | None = None


class _Refused(yaml.MarkedYAMLError):
    """Front matter that is valid YAML but that reader will not read."""

    def __init__(self, problem: str, event: yaml.Event) -> None:
        mark = event.start_mark
        super().__init__(
            problem=problem, problem_mark=mark if isinstance(mark, yaml.error.Mark) else None
        )


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader, made safe against hostile front matter and kinder to text.

    Aliases (`*name`) are refused: a few lines of them stand for billions of values.
    So are more than `FRONT_MATTER_VALUES` values and nesting deeper than
    `FRONT_MATTER_DEPTH`. Numbers and booleans stay the text they were written as
    (`title: 1984` is "1984", `title: On` is "On"); a date that does not exist
    (`2023-02-30`) stays text too.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._values = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("aliases (*name) are not read", event)
        self._values += 1
        if self._values > FRONT_MATTER_VALUES:
            raise _Refused(f"more than {FRONT_MATTER_VALUES:,} values", event)
        if self._depth >= FRONT_MATTER_DEPTH:
            raise _Refused(f"nested more than {FRONT_MATTER_DEPTH} deep", event)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_as_written(self, node: yaml.ScalarNode) -> str:
        """A scalar's text as written."""
        return str(self.construct_scalar(node))

    def construct_date(self, node: yaml.ScalarNode) -> Any:
        """A YAML date or date and time, or its text if there is no such day or time."""
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_as_written(node)


for _tag in ("bool", "int", "float"):
    _FrontMatterLoader.add_constructor(
        f"tag:yaml.org,2002:{_tag}", _FrontMatterLoader.construct_as_written
    )
_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_date)


def _load(text: str) -> Any:
    """The value of a YAML text, read by the safe loader above.

    Raises:
        yaml.YAMLError: If it is not valid YAML, or is refused.
    """
    loader = _FrontMatterLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _text(value: object) -> str | None:
    """A scalar as text: text as it is, dates in ISO form; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.date):  # datetime.datetime included
        return value.isoformat()
    return None


def _meta(data: dict[Any, Any]) -> Meta:
    meta: Meta = {}
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        if isinstance(value, list):
            meta[key.lower()] = [text for item in value if (text := _text(item)) is not None]
        elif (text := _text(value)) is not None:
            meta[key.lower()] = text
    return meta


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _problem(error: yaml.YAMLError, first_line: int) -> str:
    """A YAML error as one line, with the line of the file it is on."""
    if isinstance(error, yaml.reader.ReaderError):
        what = f"character U+{error.character:04X} is not allowed"
    elif isinstance(error, yaml.MarkedYAMLError):
        what = _one_line(error.problem or error.context or "unreadable")
        mark = error.problem_mark or error.context_mark
        if mark is not None:
            what = f"line {first_line + mark.line}: {what}"
    else:
        what = _one_line(str(error))
    if isinstance(error, _Refused):
        return f"front matter is not read ({what}); kept as text"
    return f"front matter is not valid YAML ({what}); kept as text"


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """Split the YAML front matter from the start of a Markdown text, and read it.

    Front matter starts with a `---` line, the text's first, and ends at the next
    `---` or `...` line. Front matter that cannot be read (not valid YAML, not a mapping
    of keys to values, too large or hostile) comes back as text with the problem.

    Args:
        text: The Markdown text, with LF line ends and no BOM.

    Returns:
        The front matter, and the text after it (all of the text if there is none).
    """
    if not text.startswith("---"):
        return FrontMatter(), text
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return FrontMatter(), text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return FrontMatter(), text
    body = "\n".join(lines[end + 1 :])
    written = "\n".join(lines[1:end])
    as_text = "\n".join(lines[: end + 1])
    if len(written) > FRONT_MATTER_CHARACTERS:
        problem = f"front matter is not read (more than {FRONT_MATTER_CHARACTERS:,} characters)"
        return FrontMatter(text=as_text, problem=f"{problem}; kept as text"), body
    try:
        data = _load(written)
    except yaml.YAMLError as error:
        return FrontMatter(text=as_text, problem=_problem(error, first_line=2)), body
    if data is None:
        return FrontMatter(), body
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        problem = f"front matter is {kind}, not `key: value` lines; kept as text"
        return FrontMatter(text=as_text, problem=problem), body
    return FrontMatter(_meta(data)), body
