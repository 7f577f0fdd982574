"""Test kits shipped with ragtune: contract suites every sampler and storage backend passes.

Use them from your own tests to check a custom sampler or storage::

    from ragtune.testing import SamplerContract

    class TestMySampler(SamplerContract):
        def make_sampler(self, seed): return MySampler(seed=seed)
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PrunerContract", "SamplerContract", "StorageContract"]

_LAZY = {
    "SamplerContract": "ragtune.testing.sampler_contract",
    "StorageContract": "ragtune.testing.storage_contract",
    "PrunerContract": "ragtune.testing.pruner_contract",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ragtune.testing' has no attribute {name!r}")
