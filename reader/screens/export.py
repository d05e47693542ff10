"""Exporting one article's annotations from the TUI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from annotations.errors import ReaderError
from annotations.export import (
    article_markdown,
    earlier_export,
    export_markdown_folder,
    markdown_filenames,
)
from annotations.files import write_text_atomic
from annotations.models import Article
from reader.dialogs.path import PathDialog
from reader.screens.base import ReaderScreen
from reader.words import plural


def export_article(screen: ReaderScreen[Any], article: Article) -> None:
    """Ask where to write an article's annotations, then write them as Markdown.

    The file of an earlier export of the article in the export folder is offered, so
    exporting again updates it (even after a title change) instead of adding a copy.
    """
    folder = Path(screen.app.export_folder)
    default = (
        earlier_export(folder, article.id) or folder / markdown_filenames([article])[article.id]
    )

    def chosen(path: str | None) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        store = screen.app.store
        try:
            if target.is_dir() or path.endswith(("/", os.sep)):
                done = export_markdown_folder(store, target, [article])
                target = (done.new or done.updated or done.unchanged)[0]
            else:
                write_text_atomic(target, article_markdown(store, article))
        except ReaderError as error:
            screen.notify(f"Export failed: {error}", severity="error", markup=False)
            return
        except OSError as error:
            reason = error.strerror or type(error).__name__
            screen.notify(f"Export failed: {target}: {reason}", severity="error", markup=False)
            return
        screen.app.export_folder = target.parent
        screen.notify(
            f"Exported {plural(article.annotation_count, 'annotation')} to {target}",
            title="Export",
            markup=False,
        )

    if not article.annotation_count:
        screen.notify("This article has no annotations to export yet", severity="warning")
        return
    screen.app.ask(PathDialog("Export annotations to", value=str(default)), chosen)
