"""The LLM-call cache: served from disk in a new process, misses on what changes the output, one entry
when two processes make the same call at once; per-trial hits/misses, replayed latency, cost, savings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ragtune as rt
from ragtune.pipelines import LLMCache, ModelServer, Pipeline, chunkers, readers, retrievers, templates
from ragtune.pipelines.templates import PromptTemplate
from ragtune.pruners.base import Pruner
from ragtune.samplers import RandomSampler
from ragtune.storage import InMemoryStorage
from ragtune.tuner import Tuner

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_llm import LoggedGGUF, logged, n_calls  # noqa: E402

WORKER = HERE / "llm_cache_worker.py"
ENV = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
QUESTION, CONTEXT = "What is the capital of France?", ["Paris is the capital of France."]


def _worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def _entries(root: Path) -> list[Path]:
    return sorted((root / "llm" / "calls").rglob("*.rtc"))


@pytest.mark.llm
def test_a_repeated_real_call_is_served_from_disk_in_a_new_process(
    llm_server: ModelServer, tmp_path: Path
) -> None:
    cache = LLMCache(tmp_path / "cache")
    generator = readers.OpenAIGenerator(llm_server.base_url, llm_server.model, max_tokens=8, cache=cache)
    first = generator.read(QUESTION, CONTEXT)
    assert first.cached is False and first.seconds is not None and first.seconds > 0
    # The child asks a port where nothing listens: only the cache can answer it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    again = _result(_worker(str(tmp_path / "cache"), "--real", dead, llm_server.model))
    assert again == {"answer": first.answer, "cached": True, "seconds": first.seconds, "tokens": first.tokens}
    assert len(_entries(tmp_path / "cache")) == 1


def test_what_shapes_the_output_misses_and_transport_settings_hit(tmp_path: Path) -> None:
    log, cache = tmp_path / "calls.log", LLMCache(tmp_path / "cache")
    base = {"few_shot": 1, "max_tokens": 16, "temperature": 0.0}
    assert logged(log, cache=cache, **base).read(QUESTION, CONTEXT).cached is False
    # Same call, other timeout / retries / URL: served from the cache.
    hit = logged(log, cache=cache, timeout=5.0, max_retries=0, **base)
    assert hit.read(QUESTION, CONTEXT).cached is True and n_calls(log) == 1
    changes = [
        {"template": "extract"},
        {"few_shot": 2},
        {"temperature": 0.7},
        {"max_tokens": 17},
        {"stop": ["."]},
        {"seed": 1},
        {"context_tokens": 5},
        {"model": "another-model"},
        {"endpoint": "chat"},
    ]
    for i, change in enumerate(changes, start=2):
        out = logged(log, cache=cache, **{**base, **change}).read(QUESTION, CONTEXT)
        assert out.cached is False, change
        assert n_calls(log) == i
    # Another question or context misses too; a user template whose text changes misses.
    assert logged(log, cache=cache, **base).read("Another question?", CONTEXT).cached is False
    templates.register(PromptTemplate("cache-test", "{context}\nQ: {question}\nA:"))
    try:
        assert logged(log, cache=cache, template="cache-test").read(QUESTION, CONTEXT).cached is False
        assert logged(log, cache=cache, template="cache-test").read(QUESTION, CONTEXT).cached is True
        templates.register(PromptTemplate("cache-test", "{context}\nQuestion: {question}\nA:"), replace=True)
        assert logged(log, cache=cache, template="cache-test").read(QUESTION, CONTEXT).cached is False
    finally:
        templates.unregister("cache-test")


def test_a_changed_model_file_misses(tmp_path: Path) -> None:
    cache = LLMCache(tmp_path / "cache")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\x01" * 1000)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF" + b"\x02" * 1000)
    LoggedGGUF.calls = 0
    assert LoggedGGUF(model, cache=cache).read(QUESTION, CONTEXT).cached is False
    assert LoggedGGUF(model, cache=cache).read(QUESTION, CONTEXT).cached is True
    assert LoggedGGUF(other, cache=cache).read(QUESTION, CONTEXT).cached is False
    # The same path with new weights (a re-download, a re-quantisation) misses as well.
    model.write_bytes(b"GGUF" + b"\x03" * 1000)
    os.utime(model, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert LoggedGGUF(model, cache=cache).read(QUESTION, CONTEXT).cached is False
    assert LoggedGGUF.calls == 3


def test_two_processes_making_the_same_call_at_once_make_it_once(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    start_at = str(time.time() + 3.0)
    procs = [_worker(str(tmp_path / "cache"), str(log), "1.5", start_at) for _ in range(2)]
    results = [_result(p) for p in procs]
    assert n_calls(log) == 1
    assert sorted(bool(r["cached"]) for r in results) == [False, True]
    assert results[0]["answer"] == results[1]["answer"]
    assert len(_entries(tmp_path / "cache")) == 1


class PruneAtFirstRung(Pruner):
    def prune(self, view: object, trial: rt.FrozenTrial) -> bool:
        return True


def test_tuner_counts_hits_per_trial_replays_latency_and_prices_cost(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"

    def pipeline(trial: rt.Trial) -> Pipeline:
        trial.suggest_categorical("k", [2])
        return Pipeline(
            chunker=chunkers.Window(512, 0),
            retriever=retrievers.BM25(),
            reader=logged(log, delay=0.02, few_shot=1, max_tokens=8),
            k=2,
        )

    tuner = Tuner(
        pipeline,
        "python-docs",
        objectives=["f1", "cost_usd", "latency_p50_ms"],
        storage=InMemoryStorage(),
        sampler=RandomSampler(seed=0),
        pruner=rt.pruners.NopPruner(),
        cache=tmp_path / "cache",
        max_questions=6,
        price_per_1k_input=1.0,
        price_per_1k_output=2.0,
    )
    study = tuner.optimize(n_trials=2)
    first, second = study.trials
    assert first.system_attrs["ragtune:llm"] == {
        "calls": 6,
        "cache_hits": 0,
        "cache_misses": 6,
        "prompt_tokens": 600,
        "completion_tokens": 60,
    }
    assert (
        second.system_attrs["ragtune:llm"]["cache_hits"] == 6
        and second.system_attrs["ragtune:llm"]["cache_misses"] == 0
    )
    assert n_calls(log) == 6
    # 100 prompt tokens at $1/1k plus 10 completion tokens at $2/1k: $0.12 per question, cached or not.
    assert first.values[1] == pytest.approx(0.12) and second.values[1] == pytest.approx(0.12)
    # The second trial's reads are replayed: its latency includes the 20 ms each call took.
    assert second.values[2] >= 20.0


def test_pruning_records_the_questions_and_tokens_it_saved(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"

    def pipeline(trial: rt.Trial) -> Pipeline:
        trial.suggest_categorical("k", [2])
        return Pipeline(chunker=chunkers.Window(512, 0), retriever=retrievers.BM25(), reader=logged(log), k=2)

    tuner = Tuner(
        pipeline,
        "python-docs",
        objectives=["f1"],
        storage=InMemoryStorage(),
        pruner=PruneAtFirstRung(),
        cache=False,
        max_questions=18,
    )
    (trial,) = tuner.optimize(n_trials=1).trials
    assert trial.state is rt.TrialState.PRUNED
    # Rungs 1/9, 1/3, all of 18 questions: pruned after 2, so 16 questions and 16 * 110 tokens saved.
    assert trial.system_attrs["ragtune:pruning_saved"] == {"questions": 16, "tokens_estimate": 1760.0}
    assert n_calls(log) == 2
