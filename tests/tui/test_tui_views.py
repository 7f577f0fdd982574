"""The analysis views (history, importance, slice, questions, diff, the v menu): Pilot tests and
SVG snapshots at 80x24, on the seeded study of tests/visualization/report_data.py.

Snapshots follow tests/tui/test_tui_snapshots.py (text always compared, SVG under the recorded
Textual version); update with ``RAGTUNE_UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from test_tui_snapshots import check, settle
from textual.pilot import Pilot
from textual.widgets import DataTable
from tui_data import FixedClockStorage, make_rag_study, screen_text

from ragtune.tui import RagtuneApp, create_app
from ragtune.tui.screens.diff_screen import DiffScreen
from ragtune.tui.screens.history_screen import HistoryScreen
from ragtune.tui.screens.importance_screen import ImportanceScreen
from ragtune.tui.screens.questions_screen import QuestionsScreen
from ragtune.tui.screens.slice_screen import SliceScreen
from ragtune.tui.screens.study_screen import StudyScreen
from ragtune.tui.screens.views import ViewsMenuScreen

SMALL = (80, 24)
Steps = Callable[[Pilot[None]], Awaitable[None]]


def make_question_study(storage: FixedClockStorage) -> None:
    """The seeded per-question study that the report tests use too (tests/visualization)."""
    folder = str(Path(__file__).resolve().parents[1] / "visualization")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from report_data import make_question_study as make

    make(storage)


def make_app(study: str | None = "qa-demo") -> RagtuneApp:
    storage = FixedClockStorage()
    make_question_study(storage)
    make_rag_study(storage)
    return create_app(storage, study, refresh_interval=None, choice_dir=Path("/choices"))


async def keys(pilot: Pilot[None], *names: str) -> None:
    await pilot.press(*names)
    await settle(pilot)


async def test_each_key_opens_its_view_and_esc_goes_back():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StudyScreen)
        for key, kind in [
            ("h", HistoryScreen),
            ("i", ImportanceScreen),
            ("l", SliceScreen),
            ("w", QuestionsScreen),
            ("d", DiffScreen),
        ]:
            await keys(pilot, key)
            assert isinstance(app.screen, kind), key
        assert len(app.screen_stack) == 3  # views replace each other over the study screen
        await keys(pilot, "escape")
        assert isinstance(app.screen, StudyScreen)
        await keys(pilot, "v")
        assert isinstance(app.screen, ViewsMenuScreen)
        await keys(pilot, "down", "enter")  # the second entry: importance
        assert isinstance(app.screen, ImportanceScreen)


async def test_views_are_in_the_footer_and_hidden_on_the_picker():
    app = make_app(study=None)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert "Views" not in screen_text(app)
        await keys(pilot, "h")
        assert not isinstance(app.screen, HistoryScreen)
        app.open_study("qa-demo")
        await settle(pilot)
        assert "v Views" in screen_text(app).splitlines()[-1]
        await keys(pilot, "h")
        footer = screen_text(app).splitlines()[-1]
        for label in ("Back", "History", "Importance", "Slice", "Questions", "Diff", "Objective"):
            assert label in footer, (label, footer)


async def test_history_cycles_objectives_and_counts_pruned_trials():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await keys(pilot, "h")
        text = screen_text(app)
        assert "ndcg@10 over trials · 26 complete · 4 pruned" in text
        await keys(pilot, "o")
        assert "latency_p95_ms over trials" in screen_text(app)


async def test_questions_of_the_selected_trial_worst_first():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen)
        number = study.selected
        await keys(pilot, "w")
        screen = app.screen
        assert isinstance(screen, QuestionsScreen) and screen.view is not None
        scores = [q.scores["ndcg@10"] for q in screen.view.results]
        assert scores == sorted(scores) and len(scores) == 12
        assert f"trial #{number} · 12 questions, worst first on ndcg@10" in screen_text(app)
        assert app.screen.query_one(DataTable).row_count == 12
        await keys(pilot, "down")
        assert "retrieved:" in screen_text(app) and "gold:" in screen_text(app)


async def test_diff_compares_the_marked_trial_with_the_selected_one():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen)
        first = study.selected
        await keys(pilot, "m", "down")
        second = study.selected
        assert first is not None and second is not None and first != second
        await keys(pilot, "d")
        screen = app.screen
        assert isinstance(screen, DiffScreen) and (screen.a, screen.b) == (first, second)
        assert f"#{second} vs #{first}: better on" in screen_text(app)
        assert app.screen.query_one(DataTable).row_count == 12
        await keys(pilot, "x")
        assert f"#{first} vs #{second}" in screen_text(app)


async def test_views_of_a_study_without_per_question_data():
    app = make_app("rag-demo")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await keys(pilot, "w")
        assert "stored no per-question results" in screen_text(app)
        await keys(pilot, "i")
        assert "chunk_size" in screen_text(app) and "retriever" in screen_text(app)


async def _press(*names: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        await keys(pilot, *names)

    return steps


CASES: dict[str, tuple[str, ...]] = {
    "view_history_80x24": ("h",),
    "view_importance_80x24": ("i",),
    "view_slice_80x24": ("l",),
    "view_questions_80x24": ("w", "down"),
    "view_diff_80x24": ("m", "down", "down", "d"),
    "view_menu_80x24": ("v",),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_view_snapshot(tmp_path: Path, name: str) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await keys(pilot, *CASES[name])
        check(app, name, tmp_path)


async def test_diff_without_a_mark_compares_with_the_knee_or_the_best_other():
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        study = app.screen
        assert isinstance(study, StudyScreen) and study.view is not None
        knee = study.view.knee
        assert study.selected == knee  # the cursor starts on the knee
        await keys(pilot, "d")
        screen = app.screen
        assert isinstance(screen, DiffScreen)
        assert screen.a is not None and screen.a != knee and screen.b == knee
        await pilot.pause(0.3)
        assert f"#{screen.a} (best other)" in screen_text(app)
