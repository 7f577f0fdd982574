"""One Ray head per test session (started on first use, stopped at the end), on 127.0.0.1."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ray_head import RayHead, start_head


@pytest.fixture(scope="session")
def ray_head() -> Iterator[RayHead]:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("RAGTUNE_REQUIRE_RAY"):  # CI installs the extra: a missing ray is a failure
            raise
        pytest.skip("the Ray tests need the ray extra: pip install 'ragtune[ray]'")
    head = start_head(num_cpus=2, env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    try:
        yield head
    finally:
        head.stop()
