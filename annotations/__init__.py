"""The reader's core: the annotation library, anchoring and export, free of any UI.

Import what you need from its modules: `annotations.store.AnnotationStore`,
`annotations.models`, `annotations.export`. This package module stays empty so
that importing one part never loads the others.
"""
