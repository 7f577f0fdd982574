"""``LazyModelPickling``: pickling for embedders that load their model lazily under a lock."""

from __future__ import annotations

import threading
from typing import Any, ClassVar


class LazyModelPickling:
    """A loaded model and a lock do not pickle: the copy sent to a worker process drops both and
    reloads the model lazily there. ``_lazy_field`` names the attribute that holds the model."""

    _lazy_field: ClassVar[str]
    _lock: threading.Lock

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state[self._lazy_field] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
