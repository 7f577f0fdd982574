"""What screens need from the app (:class:`AppServices`), so screens never import the app module."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from ragtune.storage.base import Storage

__all__ = ["AppServices"]


@runtime_checkable
class AppServices(Protocol):
    """The app as screens see it: the storage, where choices go, and moving between screens.

    :class:`~ragtune.tui.app.RagtuneApp` provides it; a screen reaches it through ``self.app``.
    """

    storage: Storage
    watch_file: Path | None
    refresh_interval: float | None
    choice_dir: Path | None
    last_choice_path: Path | None

    def open_study(self, study_name: str) -> None: ...

    def show_study_list(self) -> None: ...
