"""Fault-injection suite: short by default, the long run with ``--run-slow`` (or RAGTUNE_RUN_SLOW=1).

``pytest tests/reliability --run-slow`` runs every ``@pytest.mark.slow`` test and makes the kill loops
longer (``rounds(short, long)``). The option lives here, so it is known when pytest is pointed at this
folder; from the repository root use the environment variable instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    with contextlib.suppress(ValueError):  # a root conftest may declare it too
        parser.addoption(
            "--run-slow", action="store_true", default=False, help="run the long reliability tests"
        )


def run_slow(config: pytest.Config) -> bool:
    flag = False
    with contextlib.suppress(ValueError):
        flag = bool(config.getoption("--run-slow"))
    return flag or os.environ.get("RAGTUNE_RUN_SLOW", "") not in ("", "0")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_slow(config):
        return
    skip = pytest.mark.skip(reason="long reliability run; enable with --run-slow or RAGTUNE_RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture()
def slow(request: pytest.FixtureRequest) -> bool:
    """Whether this is the long run."""
    return run_slow(request.config)


@pytest.fixture()
def rounds(slow: bool) -> Iterator[object]:
    """``rounds(short, long)``: how many repetitions a kill loop makes in this run."""

    def pick(short: int, long: int) -> int:
        return long if slow else short

    yield pick
