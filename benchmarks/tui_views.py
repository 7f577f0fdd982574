"""Time from a key press to the painted analysis view, on a 10,000-trial, 3-objective study (target < 1 s).

    python benchmarks/tui_views.py [--trials 10000] [--repeats 3]

The study is the TUI benchmark's (benchmarks/tui_first_paint.py), in memory. The app runs headless
at 80x24 (``App.run_test``); after the study screen paints, each view key is pressed from the study
screen and the clock stops when the view's screen is on top and its status line is filled, polled
every 5 ms. The first press also builds the arrays shared by all views (once per read of the study),
so it is reported apart from the later ones. The existing help modal (``?``) is timed the same
way for scale, and the views' own computations are timed without Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from textual.widgets import Static
from tui_first_paint import STUDY, build_study

from ragtune.storage import get_storage
from ragtune.tui import create_app
from ragtune.tui.screens import HelpScreen
from ragtune.tui.screens.analysis_base import AnalysisScreen
from ragtune.tui.screens.study_screen import StudyScreen

KEYS = ("h", "i", "l", "w", "d")


def compute_only(n_trials: int, repeats: int) -> dict[str, list[float]]:
    """The views' own work without Textual: arrays, history, importance, slice, questions, diff."""
    from ragtune.tui.analysis import (
        analysis_data,
        diff_rows,
        history_points,
        importance_text,
        question_view,
        slice_points,
    )
    from ragtune.tui.study_reader import StudyReader

    storage = get_storage("memory")
    build_study(storage, n_trials)
    model = StudyReader(storage, STUDY).read()
    assert model is not None
    out: dict[str, list[float]] = {
        k: [] for k in ("arrays", "history", "importance", "slice", "questions", "diff")
    }
    for _ in range(repeats):
        from ragtune.tui import analysis

        analysis._CACHE.clear()
        steps = [
            ("arrays", lambda: analysis_data(model)),
            ("history", lambda: history_points(analysis_data(model), 0, selected=None)),
            ("importance", lambda: importance_text(analysis_data(model), width=76)),
            ("slice", lambda: slice_points(analysis_data(model), "top_k", 0, selected=None)),
            ("questions", lambda: question_view(analysis_data(model), 0)),
            ("diff", lambda: diff_rows(analysis_data(model), 0, 1)),
        ]
        for name, fn in steps:
            t0 = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t0)
    return out


async def measure(n_trials: int, repeats: int) -> dict[str, list[float]]:
    storage = get_storage("memory")
    build_study(storage, n_trials)
    app = create_app(storage, STUDY, refresh_interval=None)
    out: dict[str, list[float]] = {k: [] for k in ("first key", *KEYS, "? (help)")}
    async with app.run_test(size=(80, 24)) as pilot:
        while not (isinstance(app.screen, StudyScreen) and app.screen.model is not None):
            await asyncio.sleep(0.005)
        await pilot.pause()
        first = True
        for _ in range(repeats):
            for key in KEYS:
                start = time.perf_counter()
                await pilot.press(key)
                while True:
                    screen = app.screen
                    if isinstance(screen, AnalysisScreen):
                        status = screen.query_one("#view-status", Static)
                        if str(status.render()).strip():
                            break
                    await asyncio.sleep(0.005)
                await pilot.pause()
                took = time.perf_counter() - start
                out["first key" if first else key].append(took)
                first = False
                await pilot.press("escape")
                await pilot.pause()
            start = time.perf_counter()  # the existing help modal, for scale
            await pilot.press("question_mark")
            while not isinstance(app.screen, HelpScreen):
                await asyncio.sleep(0.005)
            await pilot.pause()
            out["? (help)"].append(time.perf_counter() - start)
            await pilot.press("escape")
            await pilot.pause()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.trials} trials, the views' own work (no Textual)")
    for k, v in compute_only(args.trials, args.repeats).items():
        print(f"  {k:<10} median {1000 * statistics.median(v):6.0f} ms  max {1000 * max(v):6.0f} ms")
    times = asyncio.run(measure(args.trials, args.repeats))
    print(f"{args.trials} trials, 80x24, key press -> view painted")
    for k, v in times.items():
        if v:
            print(
                f"  {k:<10} median {1000 * statistics.median(v):6.0f} ms  max {1000 * max(v):6.0f} ms  ({len(v)} presses)"
            )


if __name__ == "__main__":
    main()
