"""Widgets of reader: the article view and the library list."""
