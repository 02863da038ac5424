"""A message line at the top of a view: refusals and failures are shown, never raised,
and never block the window with a modal dialog (a student may be across the room)."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QWidget

_STYLES = {
    "error": "background:#fdecea; color:#8a1c1c; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e0; color:#6d4300; border:1px solid #f3d19c;",
    "info": "background:#e8f1fb; color:#0b3d6e; border:1px solid #b9d4f0;",
    "ok": "background:#e9f6ec; color:#1e5631; border:1px solid #b8e0c2;",
}


class MessageBar(QLabel):
    """Shows the latest message; ``text()`` and ``level`` are what tests read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(self.textInteractionFlags().TextSelectableByMouse)
        self.level = ""
        self.clear()

    def show_message(self, level: str, text: str) -> None:
        """``level``: error, warning, info or ok."""
        self._show(level, text)

    def _show(self, level: str, text: str) -> None:
        self.level = level
        self.setText(text)
        self.setStyleSheet(f"QLabel {{ {_STYLES[level]} padding:6px; border-radius:3px; }}")
        self.setVisible(True)

    def error(self, text: str) -> None:
        self._show("error", text)

    def warning(self, text: str) -> None:
        self._show("warning", text)

    def info(self, text: str) -> None:
        self._show("info", text)

    def ok(self, text: str) -> None:
        self._show("ok", text)

    def clear(self) -> None:
        self.level = ""
        super().clear()
        self.setVisible(False)
