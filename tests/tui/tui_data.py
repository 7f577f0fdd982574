"""Seeded data for the TUI tests: a RAG-shaped 3-objective study, a plain Python-API study, storages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import numpy as np
from rich.console import Console
from textual.app import App

import ragtune as rt
from ragtune.core.distributions import categorical_distribution, float_distribution, int_distribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.storage import InMemoryStorage
from ragtune.storage.base import StudySummary

BASE_TIME = dt.datetime(2025, 1, 6, 9, 30, 0)
RETRIEVERS = ("bm25", "dense", "hybrid")
DISTRIBUTIONS = {
    "chunk_size": int_distribution(128, 1024, 128, False),
    "retriever": categorical_distribution(RETRIEVERS),
    "top_k": int_distribution(3, 20, 1, False),
}


def rag_trials(n: int, *, seed: int) -> list[FrozenTrial]:
    """``n`` finished trials with metrics, timings, three rungs and a latency constraint (seeded)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        chunk = int(rng.choice([128, 256, 512, 1024]))
        retriever = RETRIEVERS[int(rng.integers(3))]
        top_k = int(rng.integers(3, 21))
        skill = {"bm25": 0.0, "dense": 0.06, "hybrid": 0.1}[retriever]
        ndcg = round(float(np.clip(0.35 + skill + 0.012 * top_k + rng.normal(0, 0.04), 0, 1)), 4)
        latency = round(float(20 + 6 * top_k + chunk / 16 + 40 * skill * 10 + rng.normal(0, 8)), 1)
        safety = round(float(np.clip(1.0 - 0.004 * top_k - rng.uniform(0, 0.03), 0, 1)), 3)
        start = BASE_TIME + dt.timedelta(seconds=37 * i)
        rungs = {
            13: (ndcg - 0.05, latency * 0.9, safety),
            40: (ndcg - 0.02, latency, safety),
            120: (ndcg, latency, safety),
        }
        state, values, fail, steps = TrialState.COMPLETE, (ndcg, latency, safety), None, rungs
        if i % 9 == 4:
            state, values, steps = TrialState.PRUNED, None, {13: rungs[13]}
        elif i == 6:
            state, values, fail, steps = (
                TrialState.FAIL,
                None,
                "GeneratorError: server timed out after 3 retries",
                {},
            )
        out.append(
            FrozenTrial(
                number=-1,
                state=state,
                values=values,
                params={"chunk_size": chunk, "retriever": retriever, "top_k": top_k},
                distributions=DISTRIBUTIONS,
                system_attrs={
                    "ragtune:metrics": {
                        "ndcg@10": ndcg,
                        "latency_p95_ms": latency,
                        "safety_pass_rate": safety,
                        "recall@10": round(min(1.0, ndcg + 0.1), 4),
                        "index_build_s": round(chunk / 300, 2),
                    },
                },
                user_attrs={
                    "timings": {"index_s": round(chunk / 300, 2), "eval_s": round(latency / 10, 2)},
                },
                intermediate_values=steps,
                constraints=(round(latency - 200.0, 1),),
                datetime_start=start,
                datetime_complete=start + dt.timedelta(seconds=30),
                fail_reason=fail,
            )
        )
    return out


def make_rag_study(
    storage: rt.storage.Storage, name: str = "rag-demo", *, n: int = 40, seed: int = 7
) -> rt.Study:
    study = rt.create_study(storage=storage, study_name=name, directions=["maximize", "minimize", "maximize"])
    study.set_metric_names(["ndcg@10", "latency_p95_ms", "safety_pass_rate"])
    study.set_system_attr("ragtune:constraints", ["latency_p95_ms <= 200"])
    for t in rag_trials(n, seed=seed):
        study.add_trial(t)
    return study


def make_plain_study(storage: rt.storage.Storage, name: str = "plain", *, n: int = 12) -> rt.Study:
    """A two-objective study from the Python API: no objective names, no metrics."""
    study = rt.create_study(storage=storage, study_name=name, directions=["minimize", "minimize"])
    for i in range(n):
        x = i / (n - 1)
        study.add_trial(
            FrozenTrial(
                number=-1,
                state=TrialState.COMPLETE,
                values=(x, (1 - x) ** 2 + 0.05 * (i % 3)),
                params={"x": x},
                distributions={"x": float_distribution(0.0, 1.0, None, False)},
                datetime_start=BASE_TIME,
                datetime_complete=BASE_TIME,
            )
        )
    return study


class FixedClockStorage(InMemoryStorage):
    """In-memory storage whose study listing shows a fixed creation time (for snapshots)."""

    def get_all_studies(self) -> list[StudySummary]:
        return [dataclasses.replace(s, datetime_start=BASE_TIME) for s in super().get_all_studies()]


class FlakyStorage(FixedClockStorage):
    """Fails every read while ``broken`` is set, like a deleted DuckDB file or a stopped server."""

    broken = False

    def _check(self) -> None:
        if self.broken:
            raise rt.exceptions.StorageConnectionError(
                "cannot reach postgresql+psycopg://tuner:s3cret@db:5432/runs: connection refused"
            )

    def get_study_id_from_name(self, study_name: str) -> int:
        self._check()
        return super().get_study_id_from_name(study_name)

    def get_all_studies(self) -> list[StudySummary]:
        self._check()
        return super().get_all_studies()


def screen_text(app: App[None]) -> str:
    """The current screen as plain text, one line per terminal row."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
