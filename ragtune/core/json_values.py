"""Values made JSON-ready for trial attributes and JSON output."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dicts, lists, str, numbers, bool, None); anything else as ``str()``."""
    return json.loads(json.dumps(value, default=str))
