"""Exporting one article's annotations from the TUI."""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from annotations.export import article_markdown, markdown_filenames, write_text_atomic
from annotations.models import Article
from reader.screens.path_dialog import PathDialog


def export_article(screen: Screen[object], article: Article) -> None:
    """Ask where to write an article's annotations, then write them as Markdown."""
    name = markdown_filenames([article])[article.id]
    default = Path(screen.app.export_folder) / name

    def chosen(path: str | None) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        if target.is_dir():
            target = target / name
        try:
            write_text_atomic(target, article_markdown(screen.app.store, article))
        except OSError as error:
            screen.notify(f"Export failed: {error}", severity="error", markup=False)
            return
        screen.app.export_folder = target.parent
        count = article.annotation_count
        screen.notify(
            f"Exported {count} annotation{'s' if count != 1 else ''} to {target}",
            title="Export",
            markup=False,
        )

    screen.app.push_screen(PathDialog("Export annotations to", value=str(default)), chosen)
