"""The main screen: Pareto table, scatter plot, constraint filters, detail pane, choosing a trade-off."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Select, Static

from ragtune.choice import default_choice_path, record_choice
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import RagtuneError, StorageError
from ragtune.tui.app_services import AppServices
from ragtune.tui.screens.confirm_choice import ChoiceRequest, ConfirmChoiceScreen
from ragtune.tui.screens.snippet import SnippetScreen
from ragtune.tui.screens.ui_calls import call_on_ui
from ragtune.tui.study_reader import StudyReader, check_file, describe_error
from ragtune.tui.table_model import params_width, table_columns, table_rows
from ragtune.tui.trial_details import empty_details, trial_details
from ragtune.tui.view_model import (
    NUMBER,
    FrontView,
    StudyModel,
    ViewState,
    build_view,
    default_state,
    filter_hint,
    format_number,
    parse_filters_partly,
    plot_points,
    status_line,
    summarise_params,
)
from ragtune.tui.widgets import ErrorBar, ScatterPlot, TrialDetail, TrialTable

FILTER_DELAY = 0.12
FILTER_HINT = "filter: press / and type e.g. latency_p95_ms <= 80, safety_pass_rate >= 0.99"


class StudyScreen(Screen[None]):
    """One study; re-read through the storage in a worker thread every ``refresh_interval`` seconds."""

    # Short words, so that every shown key fits an 80-column footer (? lists them all in full).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "app.help", "Help"),
        Binding("v", "app.views", "Views"),  # analysis views (screens/views.py); early, so 80 columns show it
        Binding("slash", "focus_filter", "Filter"),
        Binding("a", "toggle_all", "All"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse", show=False),
        Binding("x", "cycle_axis('x')", "X"),
        Binding("y", "cycle_axis('y')", "Y"),
        Binding("z", "toggle_zoom", "Zoom", show=False),
        Binding("k", "goto_knee", "Knee"),
        Binding("c", "choose", "Choose"),
        Binding("p", "snippet", "Code"),
        Binding("ctrl+r,f5", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, study_name: str) -> None:
        super().__init__()
        self.study_name = study_name
        self.model: StudyModel | None = None
        self.state = ViewState()
        self.view: FrontView | None = None
        self.selected: int | None = None
        self._reader: StudyReader | None = None
        self._reading = False
        self._syncing_axes = False
        self._filter_timer: Timer | None = None
        self._filter_errors: tuple[str, ...] = ()

    @property
    def rt_app(self) -> AppServices:
        assert isinstance(self.app, AppServices)
        return self.app

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-row"):
            yield Input(placeholder=FILTER_HINT, id="filter", compact=True)
        yield Static("loading…", id="status", markup=False)
        yield TrialTable(id="trials")
        with Horizontal(id="body"):
            with Vertical(id="plot-pane"):
                with Horizontal(id="axes"):
                    yield Static("x", classes="axis-label")
                    yield Select[str]([], id="x-axis", compact=True, allow_blank=True, prompt="x")
                    yield Static("y", classes="axis-label")
                    yield Select[str]([], id="y-axis", compact=True, allow_blank=True, prompt="y")
                yield ScatterPlot(id="plot")
            yield TrialDetail(id="detail")
        yield ErrorBar(id="error-bar")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = f"ragtune · {self.study_name}"
        self.sub_title = self.rt_app.storage.describe()
        self._reader = StudyReader(self.rt_app.storage, self.study_name, watch_file=self.rt_app.watch_file)
        self.query_one(TrialTable).focus()
        self.action_reload()
        interval = self.rt_app.refresh_interval
        if interval:
            self.set_interval(interval, self.action_reload)

    # -- reading (worker thread) -----------------------------------------------------------
    def action_reload(self) -> None:
        if not self._reading:
            self._reading = True
            self._read()

    @work(thread=True, exclusive=True, group="read")
    def _read(self) -> None:
        assert self._reader is not None
        try:
            model = self._reader.read()
        except Exception as e:  # a vanished file or server shows in the error bar, never a traceback
            call_on_ui(self, self._read_failed, describe_error(e))
            return
        call_on_ui(self, self._read_done, model)

    def _read_failed(self, message: str) -> None:
        self._reading = False
        bar = self.query_one(ErrorBar)
        if bar.message != message:
            self.notify(message, title="storage error", severity="error")
        bar.show_error(message)
        if self.model is None:
            self.query_one("#status", Static).update(f"could not read study {self.study_name!r}")

    def _read_done(self, model: StudyModel | None) -> None:
        self._reading = False
        self.query_one(ErrorBar).clear_error()
        if model is None:
            return
        first = self.model is None
        self.model = model
        if first:
            self.state = default_state(model)
            self._set_axis_options(model)
            self.query_one("#filter", Input).placeholder = filter_hint(model)
        self._recompute(rescroll=first)

    def _set_axis_options(self, model: StudyModel) -> None:
        options = [(f"{o.name} {o.arrow}", o.name) for o in model.objectives] + [("trial number", NUMBER)]
        self._syncing_axes = True
        for axis, value in (("x", self.state.x_axis), ("y", self.state.y_axis)):
            select = self.query_one(f"#{axis}-axis", Select)
            select.set_options(options)
            select.value = value
        self.call_after_refresh(self._end_axis_sync)

    def _end_axis_sync(self) -> None:
        self._syncing_axes = False

    # -- deriving and drawing --------------------------------------------------------------
    def _recompute(self, *, rescroll: bool = True) -> None:
        if self.model is None:
            return
        self.view = build_view(self.model, self.state)
        table = self.query_one(TrialTable)
        width = params_width(self.model, self.state, table.size.width)
        rows = table_rows(self.model, self.view, self.state, params_width=width)
        # Stay on the selected trial while it is shown; otherwise go to the suggested trade-off.
        keep = (
            self.selected
            if self.selected is not None and rows.index(self.selected) is not None
            else self.view.knee
        )
        table.show(table_columns(self.model, self.state), rows, keep=keep, rescroll=rescroll)
        self.selected = table.selected_number
        status = status_line(self.model, self.view, self.state)
        if not rows:
            status += " · no trial passes the filters" if self.state.filters else " · no completed trial yet"
        if self._filter_errors:
            status = f"not applied: {self._filter_errors[0]} · {status}"
        self.query_one("#status", Static).update(status)
        self._draw_selection()

    def _draw_selection(self) -> None:
        if self.model is None or self.view is None:
            return
        points = plot_points(self.model, self.view, self.state, selected=self.selected)
        in_table = np.isin(points.numbers, self.model.numbers[self.view.order])  # clicks pick table rows
        self.query_one(ScatterPlot).show(points, in_table)
        if self.selected is not None:
            self.query_one(TrialDetail).show(trial_details(self.model, self.view, self.selected))
        else:
            self.query_one(TrialDetail).show(empty_details(self.state.filters != ()))

    def _update(self, **changes: object) -> None:
        if self.model is None:  # keys pressed while the study is still loading
            return
        self.state = dataclasses.replace(self.state, **changes)  # type: ignore[arg-type]
        self._recompute()

    # -- events ----------------------------------------------------------------------------
    @on(TrialTable.RowHighlighted)
    def _row_highlighted(self, event: TrialTable.RowHighlighted) -> None:
        if event.number != self.selected:
            self.selected = event.number
            self._draw_selection()

    @on(TrialTable.HeaderClicked)
    def _header_clicked(self, event: TrialTable.HeaderClicked) -> None:
        key = event.key
        if self.model is None or key not in (NUMBER, *self.model.objective_names):
            return
        if key == self.state.sort_key:
            self._update(reverse=not self.state.reverse)
        else:
            self._update(sort_key=key, reverse=False)

    @on(ScatterPlot.PointClicked)
    def _point_clicked(self, event: ScatterPlot.PointClicked) -> None:
        self.query_one(TrialTable).move_to(event.number)

    @on(Select.Changed)
    def _axis_changed(self, event: Select.Changed) -> None:
        if self._syncing_axes or not isinstance(event.value, str):
            return
        field = "x_axis" if event.select.id == "x-axis" else "y_axis"
        if getattr(self.state, field) != event.value:
            self._update(**{field: event.value})

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Debounced: typing fast re-filters once, FILTER_DELAY seconds after the last key.
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, lambda: self._apply_filter(event.value))

    def _apply_filter(self, text: str) -> None:
        if self.model is None:
            return
        filters, errors = parse_filters_partly(text, self.model.filterable)
        self.query_one("#filter", Input).set_class(bool(errors), "-invalid")
        self._filter_errors = errors
        self._update(filters=filters)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._apply_filter(event.value)
        self.query_one(TrialTable).focus()

    # -- actions ---------------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#filter", Input):
            self.query_one(TrialTable).focus()
        else:
            self.rt_app.show_study_list()

    def action_toggle_all(self) -> None:
        self._update(show_all=not self.state.show_all)

    def action_toggle_zoom(self) -> None:
        self._update(zoom=not self.state.zoom)

    def action_cycle_sort(self) -> None:
        if self.model is not None:
            keys = [*self.model.objective_names, NUMBER]
            nxt = (
                keys[(keys.index(self.state.sort_key) + 1) % len(keys)]
                if self.state.sort_key in keys
                else keys[0]
            )
            self._update(sort_key=nxt, reverse=False)

    def action_reverse_sort(self) -> None:
        self._update(reverse=not self.state.reverse)

    def action_cycle_axis(self, axis: str) -> None:
        if self.model is None:
            return
        keys = [*self.model.objective_names, NUMBER]
        current = self.state.x_axis if axis == "x" else self.state.y_axis
        other = self.state.y_axis if axis == "x" else self.state.x_axis
        start = keys.index(current) if current in keys else -1
        # The next metric that is not already on the other axis (never latency against latency).
        nxt = next(
            (
                keys[(start + i) % len(keys)]
                for i in range(1, len(keys) + 1)
                if keys[(start + i) % len(keys)] != other
            ),
            current,
        )
        self.query_one(f"#{axis}-axis", Select).value = nxt

    def action_goto_knee(self) -> None:
        if self.view is None or self.view.knee is None:
            self.notify("no knee point: no trial passes the filters", severity="warning")
        elif not self.query_one(TrialTable).move_to(self.view.knee):
            self.notify(f"knee point #{self.view.knee} is not in the table", severity="warning")

    def action_choose(self) -> None:
        # The table's cursor is the truth at the moment of the key press: a highlight message still
        # on its way (a fast Up then c) must not leave the offer and the detail pane on other trials.
        under_cursor = self.query_one(TrialTable).selected_number
        if under_cursor != self.selected:
            self.selected = under_cursor
            self._draw_selection()
        trial = self.model.trial(self.selected) if self.model and self.selected is not None else None
        if self.model is None or trial is None:
            self.notify("select a trial first", severity="warning")
            return
        if trial.state is not TrialState.COMPLETE or trial.values is None:
            self.notify(
                f"trial #{trial.number} is {trial.state.name}; only COMPLETE trials can be chosen",
                severity="warning",
            )
            return
        pad = max(len(o.name) for o in self.model.objectives) + 2
        facts = [
            f"{(o.name + ' ' + o.arrow).ljust(pad)}  {format_number(v)}"
            for o, v in zip(self.model.objectives, trial.values, strict=True)
        ]
        facts.append("params: " + (summarise_params(trial.params, max_len=200) or "none"))
        path = default_choice_path(self.study_name, self.rt_app.choice_dir)
        self.app.push_screen(ConfirmChoiceScreen(trial.number, self.study_name, facts, path), self._confirmed)

    def _confirmed(self, request: ChoiceRequest | None) -> None:
        if request is not None:
            self._record(request)

    @work(thread=True, exclusive=True, group="choice")
    def _record(self, request: ChoiceRequest) -> None:
        from ragtune.core.study import load_study
        from ragtune.samplers import RandomSampler

        try:
            check_file(self.rt_app.watch_file)
            study = load_study(
                study_name=self.study_name, storage=self.rt_app.storage, sampler=RandomSampler()
            )
            path = record_choice(study, request.trial_number, path=request.path)
        except StorageError as e:
            call_on_ui(self, self._read_failed, describe_error(e))
            return
        except RagtuneError as e:
            call_on_ui(self, self.notify, describe_error(e), title="not chosen", severity="error")
            return
        except Exception as e:  # storage gone mid-write
            call_on_ui(self, self._read_failed, describe_error(e))
            return
        call_on_ui(self, self._chosen, request.trial_number, path)

    def _chosen(self, number: int, path: Path) -> None:
        self.rt_app.last_choice_path = path
        self.notify(
            f"Chose trial #{number}; config written to {path}. Press p for Python.", title="choice recorded"
        )
        self.action_reload()

    def action_snippet(self) -> None:
        path = self.rt_app.last_choice_path
        if path is None and self.model is not None and self.model.chosen_path:
            path = Path(self.model.chosen_path)
        chosen = path is not None
        default = default_choice_path(self.study_name, self.rt_app.choice_dir)
        source = self.model.pipeline_file if self.model is not None else None
        self.app.push_screen(
            SnippetScreen(path if path is not None else default, chosen=chosen, pipeline_file=source)
        )
