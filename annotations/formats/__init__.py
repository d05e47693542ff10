"""Formats of annotations, pure: what other programs read and write, parsed and rendered.

No module here imports the library (`annotations.store`) or writes a file: the modules
that join a format with the library and the disk are `annotations.export`,
`annotations.restore` and `annotations.clippings_sync`.
"""
