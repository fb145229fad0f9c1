"""Pure-Python heart of netbuilder: the graph document, block specs, shapes and files.

Nothing in this package imports torch or Qt (import-linter checks it), so the editor can
check shapes without loading torch and a server can read files without a display.
"""
