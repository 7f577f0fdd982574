"""The app on the real backends: DuckDB (also a file that vanishes mid-session) and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input
from tui_data import make_plain_study, make_rag_study

import ragtune as rt
from ragtune.choice import CHOICE_ATTR
from ragtune.storage import get_storage
from ragtune.storage.base import Storage
from ragtune.tui import RagtuneApp, create_app
from ragtune.tui.screens import ConfirmChoiceScreen, StudyScreen
from ragtune.tui.widgets import ErrorBar, TrialTable


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def choose_second_row(app: RagtuneApp, pilot: Pilot[None], target: Path) -> int:
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, StudyScreen)
    await pilot.press("down", "c")
    await pilot.pause()
    assert isinstance(app.screen, ConfirmChoiceScreen)
    app.screen.query_one(Input).value = str(target)
    await pilot.press("enter")
    await settle(pilot)
    assert screen.selected is not None
    return screen.selected


def check_choice(storage: Storage, target: Path, number: int) -> None:
    doc = json.loads(target.read_text())
    assert doc["trial"] == number
    assert rt.load_study(study_name="rag-demo", storage=storage).system_attrs[CHOICE_ATTR]["trial"] == number


async def test_duckdb_pick_choose_then_file_vanishes(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    url = f"duckdb:///{path}"
    storage = get_storage(url)
    make_rag_study(storage, n=15)
    make_plain_study(storage, n=5)
    app = create_app(url, refresh_interval=None, choice_dir=tmp_path)
    assert app.watch_file == path
    app.storage.close()
    app.storage = storage  # one process, one handle: share the backend that wrote the file
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # newest first: plain, then rag-demo
        await settle(pilot)
        assert isinstance(app.screen, StudyScreen) and app.screen.study_name == "rag-demo"
        number = await choose_second_row(app, pilot, tmp_path / "choice.json")
        check_choice(storage, tmp_path / "choice.json", number)

        rows = app.screen.query_one(TrialTable).numbers
        path.unlink()
        await pilot.press("ctrl+r")
        await settle(pilot)
        bar = app.screen.query_one(ErrorBar)
        assert bar.display and bar.message is not None and "is gone" in bar.message
        assert app.screen.query_one(TrialTable).numbers == rows
    storage.close()


async def test_postgresql_pick_and_choose(postgres_schema_url: str, tmp_path: Path) -> None:
    storage = get_storage(postgres_schema_url)
    try:
        make_rag_study(storage, n=12)
        app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            number = await choose_second_row(app, pilot, tmp_path / "choice.json")
        check_choice(storage, tmp_path / "choice.json", number)
        # A second reader (another process in real life) sees the choice through the server.
        other = get_storage(postgres_schema_url)
        try:
            check_choice(other, tmp_path / "choice.json", number)
        finally:
            other.close()
    finally:
        storage.close()
