"""The Textual app for choosing a Pareto trade-off (``ragtune tui``); see :func:`create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragtune.tui.app import RagtuneApp, create_app

__all__ = ["RagtuneApp", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so the pure view-model modules import without pulling in Textual.
    if name in __all__:
        from ragtune.tui import app

        return getattr(app, name)
    raise AttributeError(f"module 'ragtune.tui' has no attribute {name!r}")
