"""SVG snapshots of the main screens at a fixed terminal size, on seeded data.

Each snapshot is stored twice under ``snapshots/``: the SVG (what the screen looks like, colours
included) and its plain text. The text is always compared; the SVG only under the Textual version
that wrote it (``snapshots/TEXTUAL_VERSION``), since Textual releases change styling details.
Update with ``RAGTUNE_UPDATE_SNAPSHOTS=1 pytest tests/tui/test_tui_snapshots.py`` and look at the SVGs.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from tui_data import FlakyStorage, make_plain_study, make_rag_study, screen_text

from ragtune.tui import RagtuneApp, create_app

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = bool(os.environ.get("RAGTUNE_UPDATE_SNAPSHOTS"))
TEXTUAL = version("textual")
SIZE = (120, 40)

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def check(app: RagtuneApp, name: str, tmp_path: Path) -> None:
    svg, text = app.export_screenshot(title=f"ragtune tui: {name}"), screen_text(app)
    svg_path, text_path = SNAPSHOTS / f"{name}.svg", SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        svg_path.write_text(svg, encoding="utf-8")
        text_path.write_text(text, encoding="utf-8")
        (SNAPSHOTS / "TEXTUAL_VERSION").write_text(TEXTUAL + "\n")
        return
    if not text_path.exists():
        pytest.fail(f"no snapshot {text_path.name}; run with RAGTUNE_UPDATE_SNAPSHOTS=1 and review it")
    (tmp_path / f"{name}.svg").write_text(svg, encoding="utf-8")
    assert text == text_path.read_text(encoding="utf-8"), f"screen differs; see {tmp_path / (name + '.svg')}"
    recorded = (SNAPSHOTS / "TEXTUAL_VERSION").read_text().strip()
    if recorded == TEXTUAL:
        assert svg == svg_path.read_text(encoding="utf-8"), f"SVG differs; see {tmp_path / (name + '.svg')}"


async def _nothing(pilot: Pilot[None]) -> None:
    del pilot


async def _filter_all_axes(pilot: Pilot[None]) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).value = "latency_p95_ms <= 150, safety_pass_rate >= 0.92"
    await pilot.press("enter")
    await pilot.press("a", "s", "x")  # x skips the y axis metric: ndcg -> safety
    await pilot.pause()


async def _choose(pilot: Pilot[None]) -> None:
    await pilot.press("down", "c")
    await pilot.pause()


async def _help(pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")
    await pilot.pause()


async def _bad_filter(pilot: Pilot[None]) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one(Input).value = "latency <= 80"
    await pilot.press("enter")  # back to the table (a focused input blinks); the error stays
    await pilot.pause()


async def _storage_down(pilot: Pilot[None]) -> None:
    storage = pilot.app.storage  # type: ignore[attr-defined]
    assert isinstance(storage, FlakyStorage)
    storage.broken = True
    await pilot.press("ctrl+r")
    await settle(pilot)


CASES: dict[str, tuple[str | None, Steps, tuple[int, int]]] = {
    "picker": (None, _nothing, SIZE),
    "main": ("rag-demo", _nothing, SIZE),
    "main_filtered_all": ("rag-demo", _filter_all_axes, SIZE),
    "confirm_choice": ("rag-demo", _choose, SIZE),
    "help": ("rag-demo", _help, SIZE),
    "plain_study_100x30": ("plain", _nothing, (100, 30)),
    "bad_filter_100x30": ("rag-demo", _bad_filter, (100, 30)),
    "storage_down_100x30": ("rag-demo", _storage_down, (100, 30)),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_snapshot(tmp_path: Path, name: str) -> None:
    study, steps, size = CASES[name]
    storage = FlakyStorage()
    make_rag_study(storage)
    make_plain_study(storage)
    app = create_app(storage, study, refresh_interval=None, choice_dir=Path("/choices"))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)
        check(app, name, tmp_path)
