"""The desktop app: PySide6 and pyqtgraph widgets (the only package that imports Qt)."""
