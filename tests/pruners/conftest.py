"""Hand-built learning curves for pruner tests: add finished/running trials, ask for decisions."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest

import ragtune as rt
from ragtune.pruners import Pruner
from ragtune.samplers import RandomSampler
from ragtune.storage import Storage, get_storage

Value = float | Sequence[float]
Rows = Sequence[Sequence[float]]


class History:
    """A study whose trials report hand-written curves (``{step: value or vector}``)."""

    def __init__(self, study: rt.Study) -> None:
        self.study = study

    def _start(self, reports: Mapping[int, Value], scores: Mapping[int, Rows] | None) -> rt.Trial:
        trial = self.study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        for step, value in reports.items():
            trial.report(value, step, scores=(scores or {}).get(step))
        return trial

    def add(
        self,
        reports: Mapping[int, Value],
        state: rt.TrialState = rt.TrialState.COMPLETE,
        *,
        scores: Mapping[int, Rows] | None = None,
    ) -> int:
        """A finished trial; COMPLETE ones return their last reported value. Returns its number."""
        trial = self._start(reports, scores)
        if state is rt.TrialState.COMPLETE:
            self.study.tell(trial, reports[max(reports)])
        else:
            self.study.tell(trial, state=state)
        return trial.number

    def running(self, reports: Mapping[int, Value], *, scores: Mapping[int, Rows] | None = None) -> rt.Trial:
        """A trial another worker is still running."""
        return self._start(reports, scores)

    def decide(self, reports: Mapping[int, Value], *, scores: Mapping[int, Rows] | None = None) -> list[bool]:
        """Report ``reports`` in order from a new trial, asking the pruner after each one.

        The trial then ends as FAIL, which every pruner ignores, so several calls on one history
        are independent.
        """
        trial = self.study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        out = []
        for step, value in reports.items():
            trial.report(value, step, scores=(scores or {}).get(step))
            out.append(trial.should_prune())
        self.study.tell(trial, state=rt.TrialState.FAIL)
        return out

    def next_number(self) -> int:
        return len(self.study.trials)


HistoryFactory = Callable[..., History]  # fixture type; tests spell it Callable[..., Any]


@pytest.fixture
def history() -> HistoryFactory:
    def make(pruner: Pruner, directions: Sequence[str] = ("minimize",)) -> History:
        study = rt.create_study(directions=list(directions), sampler=RandomSampler(seed=0), pruner=pruner)
        return History(study)

    return make


@pytest.fixture(params=["memory", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """Every storage several workers can share (those not available here are skipped)."""
    kind = str(request.param)
    if kind == "memory":
        yield get_storage("memory")
        return
    if kind == "postgresql":  # skipped by tests/conftest.py unless RAGTUNE_TEST_POSTGRES_URL is set
        yield get_storage(request.getfixturevalue("postgres_schema_url"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        try:
            backend = get_storage(f"duckdb:///{tmp}/pruning.duckdb")
        except ImportError as e:  # the SQL backend is not built in this checkout yet
            pytest.skip(f"DuckDB storage not available: {e}")
        yield backend
