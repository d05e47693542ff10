"""Exporting one article's annotations from the TUI."""

from __future__ import annotations

import os
from pathlib import Path

from textual.screen import Screen

from annotations.export import article_markdown, markdown_filenames, write_text_atomic
from annotations.models import Article
from reader.screens.path_dialog import PathDialog
from reader.words import plural


def export_article(screen: Screen[object], article: Article) -> None:
    """Ask where to write an article's annotations, then write them as Markdown."""
    name = markdown_filenames([article])[article.id]
    default = Path(screen.app.export_folder) / name

    def chosen(path: str | None) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        if target.is_dir() or path.endswith(("/", os.sep)):
            target = target / name
        try:
            write_text_atomic(target, article_markdown(screen.app.store, article))
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
    screen.app.push_screen(PathDialog("Export annotations to", value=str(default)), chosen)
