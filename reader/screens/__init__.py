"""Textual screens and dialogs of reader."""
