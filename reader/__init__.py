"""reader: a keyboard-driven terminal reader that keeps highlights, tags and notes."""
