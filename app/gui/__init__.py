"""The desktop plan board (PySide6). Nothing outside this package imports Qt."""
