"""Handing a worker thread's result to the UI thread safely while screens come and go."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.css.query import NoMatches
from textual.dom import DOMNode


def call_on_ui(node: DOMNode, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``callback(*args, **kwargs)`` on the UI thread, unless the app stopped or ``node`` left the screen stack.

    A read that finishes after the user closed the study screen (or quit) is dropped, not an error.
    """

    def run() -> None:
        if not (node.is_attached and node.is_running):
            return
        # A screen being torn down (the app quitting) can still be attached while its widgets are
        # already gone: the callback's query then finds nothing, and the result has nowhere to go.
        with contextlib.suppress(NoMatches):
            callback(*args, **kwargs)

    with contextlib.suppress(RuntimeError):  # the app is no longer running
        node.app.call_from_thread(run)
