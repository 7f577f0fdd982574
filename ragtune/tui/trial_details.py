"""The facts the detail pane shows for one trial, as titled key/value sections (pure, no Textual)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.objectives.results import trial_metrics, trial_results
from ragtune.tui.view_model import FrontView, StudyModel, format_number

__all__ = ["DetailSection", "empty_details", "trial_details"]


@dataclass(frozen=True, slots=True)
class DetailSection:
    """A titled list of (key, value) lines."""

    title: str
    lines: tuple[tuple[str, str], ...]


def _value(v: Any, *, depth: int = 0) -> str:
    """A short one-line rendering: long lists and deep mappings are summarised, long text cut."""
    if v is None:
        text = "—"
    elif isinstance(v, float):
        text = format_number(v)
    elif isinstance(v, Mapping):
        if depth >= 1 or len(v) > 6:
            text = f"{{{len(v)} keys: {', '.join(map(str, list(v)[:4]))}{', …' if len(v) > 4 else ''}}}"
        else:
            text = ", ".join(f"{k}={_value(x, depth=depth + 1)}" for k, x in v.items())
    elif isinstance(v, list | tuple):
        text = f"[{len(v)} items]" if len(v) > 5 or depth >= 1 else ", ".join(_value(x, depth=1) for x in v)
    else:
        text = str(v)
    return text if len(text) <= 120 else text[:119] + "…"


def _when(t: dt.datetime | None) -> str:
    return "—" if t is None else t.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.1f} ms"
    if s < 120:
        return f"{s:.2f} s"
    return f"{s / 60:.1f} min"


def _status(model: StudyModel, view: FrontView, t: FrozenTrial) -> DetailSection:
    row = model.row_of(t.number)
    lines = [("state", t.state.name)]
    if t.fail_reason:
        lines.append(("failure", t.fail_reason))
    if row is not None and model.complete[row]:
        where = "knee point" if t.number == view.knee else "front" if view.front[row] else "dominated"
        if not view.passing[row]:
            where = "infeasible" if not model.feasible[row] else "filtered out"
        lines.append(("position", where))
    if t.constraints is not None and len(t.constraints) == len(model.constraints):
        for spec, v in zip(model.constraints, t.constraints, strict=True):
            lines.append(
                (spec, f"ok (margin {format_number(-v)})" if v <= 0 else f"violated by {format_number(v)}")
            )
    elif t.constraints is not None:
        lines.append(
            ("constraints", ", ".join(format_number(c) for c in t.constraints) + " (≤ 0 is feasible)")
        )
    if t.number == model.chosen:
        lines.append(("chosen", model.chosen_at or "yes"))
    return DetailSection(f"Trial #{t.number}", tuple(lines))


def _timings(t: FrozenTrial) -> DetailSection:
    lines = [("started", _when(t.datetime_start)), ("finished", _when(t.datetime_complete))]
    if t.duration is not None:
        lines.append(("duration", _seconds(t.duration.total_seconds())))
    index = trial_results(t).index
    if isinstance(index.get("seconds"), int | float):
        lines.append(("index build", _seconds(float(index["seconds"]))))
    timings = t.user_attrs.get("timings")
    if isinstance(timings, Mapping):
        lines += [
            (str(k), _seconds(float(v)) if isinstance(v, int | float) else str(v)) for k, v in timings.items()
        ]
    return DetailSection("Timings", tuple(lines))


def _objectives(model: StudyModel, t: FrozenTrial) -> DetailSection:
    lines = []
    values = t.values if t.values is not None and len(t.values) == len(model.objectives) else None
    for i, o in enumerate(model.objectives):
        lines.append((f"{o.name} {o.arrow}", format_number(values[i]) if values else "—"))
    metrics = trial_metrics(t)
    if metrics:
        shown = set(model.objective_names)
        lines += [(str(k), _value(v)) for k, v in metrics.items() if k not in shown]
    return DetailSection("Objectives & metrics", tuple(lines))


def _params(t: FrozenTrial) -> DetailSection:
    return DetailSection("Params", tuple((k, _value(v)) for k, v in t.params.items()) or (("—", "none"),))


def _rungs(model: StudyModel, t: FrozenTrial) -> DetailSection:
    names = model.objective_names
    steps = sorted(t.intermediate_vectors)
    if not steps:
        return DetailSection("Rungs (intermediate values)", (("—", "none reported"),))
    vectors = [[format_number(v) for v in t.intermediate_vectors[s]] for s in steps]
    width = max(len(names), *(len(v) for v in vectors))
    header = [
        names[i] if i < len(names) and all(len(v) == len(names) for v in vectors) else f"[{i}]"
        for i in range(width)
    ]
    widths = [max(len(header[i]), *(len(v[i]) for v in vectors if i < len(v))) for i in range(width)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=False))

    lines = [("step", line(header))] + [(str(s), line(v)) for s, v in zip(steps, vectors, strict=True)]
    return DetailSection("Rungs (intermediate values)", tuple(lines))


def _evaluation(t: FrozenTrial) -> DetailSection | None:
    """What the Tuner recorded besides metrics: questions evaluated, the index and the pipeline config."""
    results = trial_results(t)
    if not results:
        return None
    lines: list[tuple[str, str]] = []
    if results.question_ids:
        lines.append(("questions evaluated", str(results.questions_evaluated)))
    lines += [(f"index {k}", _value(v)) for k, v in results.index.items() if k != "seconds"]
    lines += [(k, _value(v)) for k, v in results.other.items() if k not in ("questions", "choice")]
    if results.pipeline is not None:
        lines += [(str(k), _value(v)) for k, v in results.pipeline.items()]
    return DetailSection("Pipeline & evaluation", tuple(lines)) if lines else None


def _other_attrs(t: FrozenTrial) -> DetailSection | None:
    rest = {k: v for k, v in t.user_attrs.items() if k != "timings"}
    if not rest:
        return None
    return DetailSection("User attrs", tuple((k, _value(v)) for k, v in rest.items()))


def empty_details(filtered: bool) -> list[DetailSection]:
    """What the pane says when the table is empty."""
    why = "no trial passes the filters; loosen them (/)" if filtered else "no trial to show yet"
    return [DetailSection("No trial selected", (("", why),))]


def trial_details(model: StudyModel, view: FrontView, number: int) -> list[DetailSection]:
    """Sections for trial ``number``: status, objectives and metrics, params, rungs, timings, user attrs."""
    t = model.trial(number)
    if t is None:
        return [DetailSection("No trial selected", (("", "move the table cursor to a trial"),))]
    sections = [_status(model, view, t), _objectives(model, t), _params(t), _rungs(model, t), _timings(t)]
    for extra in (_evaluation(t), _other_attrs(t)):
        if extra is not None:
            sections.append(extra)
    return sections
