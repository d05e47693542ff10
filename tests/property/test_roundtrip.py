"""Properties of the JSON export and restore over generated libraries.

- export -> restore into an empty library -> export gives the same document (but the time);
- restoring a file twice does what restoring it once did, into any library;
- restoring two files with edits of different annotations gives the same library in
  either order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from annotations import export
from annotations.formats.backup import parse_backup
from annotations.models import HIGHLIGHT_COLORS, Block, BlockKind, Document
from annotations.restore import restore
from annotations.store import AnnotationStore
from tests.conftest import FixedClock

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
"""Any Unicode text but lone surrogates (which cannot be stored as UTF-8)."""


@dataclass(frozen=True)
class Highlight:
    """A highlight to make: where (blocks and offsets as fractions), colour, tags and note."""

    start_block: float
    start_offset: float
    end_block: float
    end_offset: float
    color: str
    tags: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ArticleSpec:
    """An article to import with the highlights to make on it."""

    title: str
    blocks: tuple[Block, ...]
    source: str
    tags: tuple[str, ...]
    highlights: tuple[Highlight, ...]
    position: float | None
    changed: tuple[Block, ...] | None


blocks = st.lists(
    st.builds(Block, st.sampled_from(list(BlockKind)), TEXT, st.integers(0, 3)),
    min_size=1,
    max_size=5,
).map(tuple)

FRACTION = st.floats(0, 1, exclude_max=True)

highlights = st.builds(
    Highlight,
    FRACTION,
    FRACTION,
    FRACTION,
    FRACTION,
    st.sampled_from(HIGHLIGHT_COLORS),
    st.lists(st.text(max_size=8), max_size=3).map(tuple),
    st.text(max_size=40),
)

articles = st.builds(
    ArticleSpec,
    TEXT,
    blocks,
    st.one_of(st.just(""), st.text(max_size=20)),
    st.lists(st.text(max_size=8), max_size=2).map(tuple),
    st.lists(highlights, max_size=4).map(tuple),
    st.one_of(st.none(), FRACTION),
    st.one_of(st.none(), blocks),
)

libraries = st.lists(articles, min_size=0, max_size=4)


def new_store(day: int) -> AnnotationStore:
    """An empty library in memory whose clock starts on a given day of March 2026."""
    return AnnotationStore(
        Database(memory=True), clock=FixedClock(datetime(2026, 3, day, tzinfo=UTC))
    )


def build(specs: list[ArticleSpec], day: int = 1) -> AnnotationStore:
    """A library with the generated articles and highlights."""
    store = new_store(day)
    for number, spec in enumerate(specs):
        document = Document(spec.title, spec.blocks, spec.source, tags=spec.tags)
        # A source shared by two generated articles would make the second an update.
        if spec.source:
            document = Document(spec.title, spec.blocks, f"{spec.source}#{number}", tags=spec.tags)
        article = store.import_document(document).article
        texts = [block.text for block in spec.blocks]
        for highlight in spec.highlights:
            first = int(highlight.start_block * len(texts))
            last = first + int(highlight.end_block * (len(texts) - first))
            start = (first, int(highlight.start_offset * (len(texts[first]) + 1)))
            end = (last, int(highlight.end_offset * (len(texts[last]) + 1)))
            if start >= end:
                continue
            store.add_highlight(
                article.id,
                start,
                end,
                color=highlight.color,
                tags=highlight.tags,
                note=highlight.note,
            )
        if spec.position is not None:
            store.set_position(article.id, int(spec.position * len(texts)))
        if spec.changed is not None and document.source:
            # A new version of the source: highlights move, or are kept as orphaned.
            store.import_document(replace(document, blocks=spec.changed))
    return store


def snapshot(store: AnnotationStore) -> dict[str, Any]:
    """The library's JSON export, parsed, without the export time."""
    data = json.loads(export.export_json(store))
    data.pop("exported")
    return data


def backup_of(store: AnnotationStore) -> Any:
    """The library's export, checked as `reader restore` checks it."""
    return parse_backup(json.loads(export.export_json(store)))


@SETTINGS
@given(libraries)
def test_export_restore_export_is_identical(specs: list[ArticleSpec]) -> None:
    """A restored library exports exactly as the original (but for the export time)."""
    original = build(specs)
    restored = new_store(20)

    summary = restore(restored, backup_of(original))

    assert snapshot(restored) == snapshot(original)
    assert summary.articles_added == len(original.list_articles())
    assert summary.annotations_added == len(original.list_annotations())


@SETTINGS
@given(libraries, libraries)
def test_restoring_twice_is_restoring_once(
    specs: list[ArticleSpec], others: list[ArticleSpec]
) -> None:
    """Into a library with content of its own, a second restore of the same file changes nothing."""
    backup = backup_of(build(specs))
    target = build(others, day=10)

    restore(target, backup)
    once = snapshot(target)
    summary = restore(target, backup)

    assert snapshot(target) == once
    assert summary.articles_added == summary.articles_updated == 0
    assert summary.annotations_added == summary.annotations_updated == 0


@SETTINGS
@given(libraries, st.data())
def test_restore_is_commutative_over_disjoint_edits(
    specs: list[ArticleSpec], data: st.DataObject
) -> None:
    """Two copies edit different annotations; merging their exports in either order agrees."""
    base = backup_of(build(specs))
    home, laptop = new_store(5), new_store(6)
    restore(home, base)
    restore(laptop, base)
    ids = [annotation.id for annotation in home.list_annotations()]
    mine = data.draw(st.sets(st.sampled_from(ids)) if ids else st.just(set()))
    for annotation_id in ids:
        if annotation_id in mine:
            home.set_note(annotation_id, data.draw(st.text(max_size=20)))
        elif data.draw(st.booleans()):
            laptop.set_tags(annotation_id, data.draw(st.lists(TEXT, max_size=2)))
    from_home, from_laptop = backup_of(home), backup_of(laptop)

    one, other = new_store(20), new_store(20)
    for store, order in ((one, (base, from_home, from_laptop)), (other, (from_laptop, from_home))):
        for backup in order:
            restore(store, backup)

    assert snapshot(one) == snapshot(other)
    for annotation_id in ids:
        expected = (home if annotation_id in mine else laptop).get_annotation(annotation_id)
        merged = one.get_annotation(annotation_id)
        assert (merged.note, merged.tags) == (expected.note, expected.tags)
