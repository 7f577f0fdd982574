"""Fixtures of the TUI tests; the data lives in tui_data.py."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the test modules import tui_data

from tui_data import FixedClockStorage, make_plain_study, make_rag_study


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (Pilot) on a fresh event loop, without an async pytest plugin."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def storage() -> FixedClockStorage:
    backend = FixedClockStorage()
    make_rag_study(backend)
    make_plain_study(backend)
    return backend
