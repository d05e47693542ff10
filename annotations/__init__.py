"""The reader's core: the annotation library, anchoring and export, free of any UI."""

from annotations.models import (
    HIGHLIGHT_COLORS,
    Anchor,
    Annotation,
    Article,
    Block,
    BlockKind,
    Document,
    ImportResult,
    TagCount,
)
from annotations.store import AnnotationStore, LibraryError, NotFoundError

__all__ = [
    "HIGHLIGHT_COLORS",
    "Anchor",
    "Annotation",
    "AnnotationStore",
    "Article",
    "Block",
    "BlockKind",
    "Document",
    "ImportResult",
    "LibraryError",
    "NotFoundError",
    "TagCount",
]
