"""A one-line bar that shows a storage error until the next successful read."""

from __future__ import annotations

from textual.widgets import Static


class ErrorBar(Static):
    """Hidden until :meth:`show_error`; the app keeps showing the last data it read."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.message: str | None = None

    def show_error(self, message: str) -> None:
        self.message = message
        self.update(f"⚠ {message} · showing the last data read; ctrl+r retries")
        self.add_class("-visible")

    def clear_error(self) -> None:
        self.message = None
        self.update("")
        self.remove_class("-visible")
