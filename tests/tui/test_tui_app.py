"""Drive the app with Pilot: pick a study, change axes, filter, sort, select, choose, confirm."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select
from tui_data import FlakyStorage, make_rag_study, screen_text

import ragtune as rt
from ragtune.choice import CHOICE_ATTR, load_config
from ragtune.storage.base import Storage
from ragtune.tui import RagtuneApp, create_app
from ragtune.tui.screens import ConfirmChoiceScreen, HelpScreen, SnippetScreen, StudyPickerScreen, StudyScreen
from ragtune.tui.widgets import ErrorBar, ScatterPlot, TrialDetail, TrialTable

SIZE = (120, 40)


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def study_screen(app: RagtuneApp) -> StudyScreen:
    assert isinstance(app.screen, StudyScreen), app.screen
    return app.screen


def shown_numbers(app: RagtuneApp) -> list[int]:
    return app.screen.query_one(TrialTable).numbers


def detail_text(app: RagtuneApp) -> str:
    detail = app.screen.query_one(TrialDetail)
    return "\n".join(line[detail.region.x : detail.region.right] for line in screen_text(app).splitlines())


async def open_rag_demo_and_go_back(app: RagtuneApp, pilot: Pilot[None]) -> None:
    """On the study list: open "rag-demo" (the second row), then Esc back to the list."""
    assert isinstance(app.screen, StudyPickerScreen)
    table = app.screen.query_one("#studies")
    # Same creation time (fixed clock), so by name.
    assert [k.value for k in table.rows] == ["plain", "rag-demo"]  # type: ignore[attr-defined]
    await pilot.press("down", "enter")
    await settle(pilot)
    assert study_screen(app).study_name == "rag-demo"
    await pilot.press("escape")
    await settle(pilot)
    assert isinstance(app.screen, StudyPickerScreen)


async def test_pick_a_study_then_go_back(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_rag_demo_and_go_back(app, pilot)
        # The header is row 0; "plain" is the first row. A click highlights, a click on the highlighted row opens.
        await pilot.click("#studies", offset=(3, 1))
        await pilot.pause()
        assert isinstance(app.screen, StudyPickerScreen)
        await pilot.click("#studies", offset=(3, 1))
        await settle(pilot)
        screen = study_screen(app)
        assert screen.study_name == "plain"
        assert screen.model is not None and screen.model.objective_names == ("values_0", "values_1")


async def test_a_study_named_at_start_opens_alone_and_esc_lists_the_studies(
    storage: Storage, tmp_path: Path
) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert study_screen(app).study_name == "rag-demo"
        assert not any(isinstance(s, StudyPickerScreen) for s in app.screen_stack)  # built only if asked for
        await pilot.press("escape")
        await settle(pilot)
        await open_rag_demo_and_go_back(app, pilot)
        assert sum(isinstance(s, StudyPickerScreen) for s in app.screen_stack) == 1


async def test_front_table_axes_filter_sort_and_detail(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        model, view = screen.model, screen.view
        assert model is not None and view is not None
        front = sorted(int(model.numbers[i]) for i in view.front.nonzero()[0])
        assert sorted(shown_numbers(app)) == front
        assert screen.selected == view.knee  # the cursor starts on the suggested trade-off

        # Axes: keys and the selector.
        assert (screen.state.x_axis, screen.state.y_axis) == ("ndcg@10", "latency_p95_ms")
        await pilot.press("y")
        assert screen.state.y_axis == "safety_pass_rate"
        screen.query_one("#x-axis", Select).value = "latency_p95_ms"
        await pilot.pause()
        assert screen.state.x_axis == "latency_p95_ms"
        points = screen.query_one(ScatterPlot)._points
        assert points is not None and points.x_label.startswith("latency_p95_ms")

        # A typed filter updates table and plot live; a bad one says why and keeps the last good one.
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"latency_p95_ms <= 120")
        await pilot.pause(0.3)  # filters apply shortly after the last key
        lat = model.column("latency_p95_ms")
        assert shown_numbers(app) and all(lat[model.row_of(n)] <= 120 for n in shown_numbers(app))
        narrowed = shown_numbers(app)
        await pilot.press(*", bogus >= 1")
        await pilot.pause(0.3)
        assert "no metric 'bogus'" in str(screen.query_one("#status").render())
        assert shown_numbers(app) == narrowed
        await pilot.press(*["backspace"] * len(", bogus >= 1"), "enter")
        await pilot.pause()
        assert isinstance(app.focused, TrialTable)

        # Sort: s cycles objectives, a header click sorts by that column, again reverses.
        await pilot.press("s")
        assert screen.state.sort_key == "latency_p95_ms"
        lats = [lat[model.row_of(n)] for n in shown_numbers(app)]
        assert lats == sorted(lats)
        await pilot.press("S")
        assert screen.state.reverse
        # All trials, then select one with the keyboard and read the detail pane.
        await pilot.press("a")
        assert len(shown_numbers(app)) == len(model.trials)
        await pilot.press("home")
        await pilot.pause()
        first = shown_numbers(app)[0]
        assert screen.selected == first
        text = detail_text(app)
        assert f"Trial #{first}" in text and "Objectives & metrics" in text and "ndcg@10" in text


async def test_header_click_sorts(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        x = screen.query_one(TrialTable).column_x("safety_pass_rate") + 2
        await pilot.click(TrialTable, offset=(x, 0))
        await pilot.pause()
        assert screen.state.sort_key == "safety_pass_rate" and not screen.state.reverse
        await pilot.click(TrialTable, offset=(x, 0))
        await pilot.pause()
        assert screen.state.reverse
        await pilot.click(TrialTable, offset=(6, 3))  # a click on the third row selects it
        await pilot.pause()
        assert screen.selected == shown_numbers(app)[2]


async def test_choose_confirm_writes_json_and_records_choice(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        await pilot.press("down")
        await pilot.pause()
        number = screen.selected
        assert number is not None
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmChoiceScreen)
        assert app.screen.query_one(Input).value == str(tmp_path / "ragtune-choice-rag-demo.json")
        await pilot.press("escape")  # cancel writes nothing
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen) and not list(tmp_path.iterdir())

        await pilot.press("c")
        await pilot.pause()
        target = tmp_path / "picked.json"
        app.screen.query_one(Input).value = str(target)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, StudyScreen)
        doc = json.loads(target.read_text())
        trial = screen.model.trial(number) if screen.model else None
        assert trial is not None
        assert doc["trial"] == number and doc["study"] == "rag-demo"
        assert load_config(target) == dict(trial.params)
        assert doc["objectives"]["ndcg@10"] == trial.values[0]  # type: ignore[index]
        study = rt.load_study(study_name="rag-demo", storage=storage)
        assert study.system_attrs[CHOICE_ATTR]["trial"] == number
        assert screen.model is not None and screen.model.chosen == number  # re-read after choosing

        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, SnippetScreen)
        assert f"rt.load_config({str(target)!r})" in app.screen.code
        assert "rt.FixedTrial(params)" in app.screen.code
        assert "rag.build_index(dataset.corpus)" in app.screen.code and "rag.query(index," in app.screen.code
        await pilot.press("escape")


async def test_choosing_a_pruned_trial_is_refused(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        await pilot.press("a", "end")  # all trials; trials without values sort last
        await pilot.pause()
        assert screen.model is not None and screen.selected is not None
        assert screen.model.trial(screen.selected).state is not rt.TrialState.COMPLETE  # type: ignore[union-attr]
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)


async def test_plot_click_selects_nearest_front_point_and_knee_key(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        plot = screen.query_one(ScatterPlot)
        frame = plot._layout()
        points = plot._points
        assert frame is not None and points is not None
        target = int(points.numbers[points.numbers != screen.selected][0])
        target = next(
            int(n)
            for n, k in zip(points.numbers, points.kinds, strict=True)
            if k == 2 and n != screen.selected
        )
        i = int((points.numbers == target).nonzero()[0][0])
        await pilot.click(
            ScatterPlot, offset=(frame.left + int(frame.cols[i]), frame.top + int(frame.rows[i]))
        )
        await pilot.pause()
        assert screen.selected == target
        await pilot.press("k")
        await pilot.pause()
        assert screen.view is not None and screen.selected == screen.view.knee
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_live_refresh_picks_up_new_trials(tmp_path: Path) -> None:
    backend = FlakyStorage()
    study = make_rag_study(backend, n=5)
    app = create_app(backend, "rag-demo", refresh_interval=0.05, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        assert screen.model is not None and len(screen.model.trials) == 5
        trial = study.ask()
        study.tell(trial, [0.99, 1.0, 1.0])  # dominates everything
        for _ in range(200):  # up to 10 s on a busy machine
            await pilot.pause(0.05)
            if screen.model is not None and len(screen.model.trials) == 6:
                break
        assert screen.view is not None and shown_numbers(app) == [5]


async def test_vanishing_storage_shows_an_error_bar(tmp_path: Path) -> None:
    backend = FlakyStorage()
    make_rag_study(backend, n=12)
    app = create_app(backend, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        rows = shown_numbers(app)
        backend.broken = True
        await pilot.press("ctrl+r")
        await settle(pilot)
        bar = screen.query_one(ErrorBar)
        assert bar.display and bar.message is not None
        assert "connection refused" in bar.message and "s3cret" not in bar.message and "***" in bar.message
        assert shown_numbers(app) == rows  # the last data read stays on screen
        backend.broken = False
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not bar.display


async def test_picker_with_broken_storage_and_empty_storage(tmp_path: Path) -> None:
    backend = FlakyStorage()
    backend.broken = True
    app = create_app(backend, refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(ErrorBar).display
    app = create_app("memory", refresh_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No studies" in str(app.screen.query_one("#picker-empty").render())


async def test_a_small_terminal_works(storage: Storage, tmp_path: Path) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a", "x", "y", "s", "down")
        await pilot.pause()
        assert study_screen(app).selected is not None


async def test_empty_and_running_only_studies(tmp_path: Path) -> None:
    backend = FlakyStorage()
    rt.create_study(storage=backend, study_name="empty", directions=["minimize", "maximize"])
    running = rt.create_study(storage=backend, study_name="running", directions=["minimize"])
    trial = running.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, 1)
    for name, rows in (("empty", []), ("running", [0])):
        app = create_app(backend, name, refresh_interval=None, choice_dir=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("a", "c", "k", "s", "x", "y", "z")
            await pilot.pause()
            screen = study_screen(app)
            assert screen.view is not None and screen.view.knee is None
            assert shown_numbers(app) == rows
            assert not list(tmp_path.iterdir())  # nothing could be chosen


async def test_x_never_plots_a_metric_against_itself_and_c_offers_the_row_under_the_cursor(
    storage: Storage, tmp_path: Path
) -> None:
    app = create_app(storage, "rag-demo", refresh_interval=None, choice_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = study_screen(app)
        for _ in range(6):
            await pilot.press("x")
            await pilot.pause()
            assert screen.state.x_axis != screen.state.y_axis, (screen.state.x_axis, screen.state.y_axis)
        # A fast Up then c: the offer names the trial under the cursor, and the detail pane shows it.
        await pilot.press("down", "down", "up", "c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmChoiceScreen)
        under_cursor = screen.query_one(TrialTable).selected_number
        assert app.screen.trial_number == under_cursor == screen.selected


def test_the_snippet_imports_the_studys_own_pipeline_file(tmp_path: Path) -> None:
    from ragtune.tui.screens.snippet import snippet_code

    code = snippet_code(tmp_path / "choice.json", "/work/project/python_docs_rag.py")
    assert "from python_docs_rag import dataset, pipeline  # from /work/project/python_docs_rag.py" in code
    assert "from pipeline import dataset, pipeline  # from your pipeline.py" in snippet_code(
        tmp_path / "c.json"
    )
