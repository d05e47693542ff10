"""Tags across the library: renaming, merging, case, errors and counts."""

from __future__ import annotations

import pytest

from annotations.errors import NotFoundError
from annotations.models import TagCount
from annotations.store import AnnotationStore
from tests.core.test_search import add_article


@pytest.fixture
def tagged(store: AnnotationStore) -> dict[str, str]:
    """Four annotations: a `hist`, b `hist history`, c `history`, d `Ärger`; returns their ids."""
    article_id = add_article(store)
    tags = {"a": ["hist"], "b": ["hist", "history"], "c": ["history"], "d": ["Ärger"]}
    return {
        name: store.add_highlight(article_id, (index, 0), (index, 4), tags=names).id
        for index, (name, names) in enumerate(tags.items())
    }


def tags_of(store: AnnotationStore, ids: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each annotation's tags, by fixture name."""
    return {name: store.get_annotation(annotation_id).tags for name, annotation_id in ids.items()}


def test_rename_changes_the_tag_everywhere(store: AnnotationStore, tagged: dict[str, str]) -> None:
    """A tag renamed to a new name keeps its annotations; the count is returned."""
    before = {name: store.get_annotation(i).updated_at for name, i in tagged.items()}

    assert store.rename_tag("hist", "past") == 2

    assert tags_of(store, tagged) == {
        "a": ("past",),
        "b": ("history", "past"),
        "c": ("history",),
        "d": ("Ärger",),
    }
    assert TagCount("past", 2) in store.list_tags()
    assert "hist" not in {tag.name for tag in store.list_tags()}
    after = {name: store.get_annotation(i).updated_at for name, i in tagged.items()}
    assert [name for name in tagged if after[name] != before[name]] == ["a", "b"]


def test_rename_into_an_existing_tag_merges_without_duplicates(
    store: AnnotationStore, tagged: dict[str, str]
) -> None:
    """`hist` -> `history`: every `hist` annotation gets `history` once, `hist` disappears."""
    annotations = len(store.list_annotations())

    assert store.rename_tag("hist", "history") == 2

    assert tags_of(store, tagged) == {
        "a": ("history",),
        "b": ("history",),
        "c": ("history",),
        "d": ("Ärger",),
    }
    assert store.list_tags() == [TagCount("history", 3), TagCount("Ärger", 1)]
    assert len(store.list_annotations()) == annotations
    assert store.db.execute("SELECT count(*) FROM tags").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("HIST", "History", [TagCount("history", 3), TagCount("Ärger", 1)]),
        ("#hist", "#HISTORY", [TagCount("history", 3), TagCount("Ärger", 1)]),
        ("  hist ", " history  ", [TagCount("history", 3), TagCount("Ärger", 1)]),
        ("ärger", "hist", [TagCount("hist", 3), TagCount("history", 2)]),
    ],
    ids=["upper-case-old-and-new", "hash-signs", "spaces", "non-ascii-case-merge-target"],
)
def test_names_are_matched_case_insensitively(
    store: AnnotationStore, tagged: dict[str, str], old: str, new: str, expected: list[TagCount]
) -> None:
    """Names match tags whatever their case (Unicode too); a merge keeps the target's spelling."""
    store.rename_tag(old, new)
    assert store.list_tags() == expected


def test_rename_to_another_case_of_itself_only_respells(
    store: AnnotationStore, tagged: dict[str, str]
) -> None:
    """`history` -> `History` changes how the tag is written, and nothing else."""
    assert store.rename_tag("history", "History") == 2
    assert store.list_tags() == [
        TagCount("hist", 2),
        TagCount("History", 2),
        TagCount("Ärger", 1),
    ]
    assert store.rename_tag("ärger", "ÄRGER") == 1
    assert tags_of(store, tagged)["d"] == ("ÄRGER",)


def test_rename_to_the_same_name_changes_nothing(
    store: AnnotationStore, tagged: dict[str, str]
) -> None:
    """Renaming a tag to itself returns its count and leaves every annotation as it was."""
    before = tags_of(store, tagged)
    assert store.rename_tag("hist", "hist") == 2
    assert tags_of(store, tagged) == before


@pytest.mark.parametrize("old", ["nope", "", "#", "histor"])
def test_renaming_an_unknown_tag_raises_not_found(
    store: AnnotationStore, tagged: dict[str, str], old: str
) -> None:
    """An unknown old name (no prefix matching) is NotFoundError and changes nothing."""
    before = store.list_tags()
    with pytest.raises(NotFoundError):
        store.rename_tag(old, "anything")
    assert store.list_tags() == before


@pytest.mark.parametrize("new", ["", "   ", "#", " # "])
def test_renaming_to_an_empty_name_raises_value_error(
    store: AnnotationStore, tagged: dict[str, str], new: str
) -> None:
    """An empty new name is ValueError and changes nothing."""
    before = tags_of(store, tagged)
    with pytest.raises(ValueError):
        store.rename_tag("hist", new)
    assert tags_of(store, tagged) == before


def test_a_failing_rename_rolls_back_completely(
    store: AnnotationStore, tagged: dict[str, str]
) -> None:
    """The merge is one transaction: if its last step fails, no annotation loses its tag."""
    before = tags_of(store, tagged)
    store.db.execute(
        "CREATE TRIGGER fail_rename BEFORE UPDATE OF updated_at ON annotations "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    with pytest.raises(Exception, match="disk on fire"):
        store.rename_tag("hist", "history")
    store.db.execute("DROP TRIGGER fail_rename")
    assert tags_of(store, tagged) == before
    assert {tag.name for tag in store.list_tags()} == {"hist", "history", "Ärger"}


def test_list_tags_counts_most_used_first(store: AnnotationStore, tagged: dict[str, str]) -> None:
    """Tags come with their annotation counts, most used first, then by name."""
    assert store.list_tags() == [
        TagCount("hist", 2),
        TagCount("history", 2),
        TagCount("Ärger", 1),
    ]
    store.delete_annotation(tagged["d"])
    assert [tag.name for tag in store.list_tags()] == ["hist", "history"]
