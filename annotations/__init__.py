"""The reader's core: the annotation library, anchoring and export, free of any UI.

Import what you need from its modules: `annotations.store.AnnotationStore`,
`annotations.models`, the pure formats of `annotations.formats`, and the modules
that join them with the library and the disk (`annotations.export`,
`annotations.restore`, `annotations.clippings_sync`, `annotations.files`). This
package module stays empty so that importing one part never loads the others.
"""
