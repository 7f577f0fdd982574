"""The evaluator: rungs, latency excluding index work, stored per-question scores, pruning end to end."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from pydantic import BaseModel, ConfigDict

import ragtune as rt
from ragtune.datasets.types import Document, EvalSet, Judgment, Question
from ragtune.exceptions import ConfigError
from ragtune.objectives import trial_results
from ragtune.objectives.evaluator import Evaluator, rung_sizes
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers
from ragtune.pipelines.chunkers.base import chunks_from_spans
from ragtune.pipelines.records import ReaderOutput
from ragtune.samplers import RandomSampler
from ragtune.tuner import evaluate_trial


class _NoParams(BaseModel):
    model_config = ConfigDict(frozen=True)


class SleepyReader:
    """A user stage (no inheritance) that sleeps a known time per query."""

    kind = "sleepy_reader"
    version = "1"
    params = _NoParams()

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def read(self, question: str, context: Sequence[str]) -> ReaderOutput:
        time.sleep(self.seconds)
        return ReaderOutput(answer=context[0] if context else "")


class SleepyChunker:
    """Index-time work that must not count as query latency."""

    kind = "sleepy_chunker"
    version = "1"
    params = _NoParams()

    def chunk(self, document: Document):
        time.sleep(0.05)
        return chunks_from_spans(document, [(0, len(document.text))])


def _toy_set() -> EvalSet:
    docs = tuple(Document(f"d{i}", f"topic {i} words about subject{i} and more text") for i in range(6))
    qs = tuple(Question(f"q{i}", f"subject{i}", answers=(f"subject{i}",)) for i in range(6))
    return EvalSet("toy", docs, qs, tuple(Judgment(f"q{i}", f"d{i}", 1) for i in range(6)))


def test_rung_sizes():
    assert rung_sizes(90, (1 / 9, 1 / 3, 1.0)) == [10, 30, 90]
    assert rung_sizes(10, (1 / 9, 1 / 3)) == [2, 4, 10]
    assert rung_sizes(5, (2, 100)) == [2, 5]
    with pytest.raises(ConfigError, match="rungs must be"):
        rung_sizes(5, (0,))


def test_latency_is_per_query_and_excludes_index_work():
    data = _toy_set()
    ev = Evaluator(data, ["latency_mean_ms", "latency_p95_ms", "index_seconds"], rungs=(1.0,))
    pipe = Pipeline(chunker=SleepyChunker(), retriever=retrievers.BM25(), reader=SleepyReader(0.02), k=2)
    result = ev.evaluate(pipe)
    # 6 docs x 50 ms of chunking happen at index time only
    assert result.values["index_seconds"] >= 0.3
    assert 20.0 <= result.values["latency_mean_ms"] < 60.0
    assert 20.0 <= result.values["latency_p95_ms"] < 80.0
    assert all(0.02 <= o.latency_s < 0.06 for o in result.outcomes)


def test_retrieval_values_and_stored_per_question_scores():
    data = _toy_set()
    study = rt.create_study(directions=["maximize", "maximize"], sampler=RandomSampler(seed=0))
    ev = Evaluator(data, ["hit@1", "exact_match"], rungs=(1 / 3, 1.0), seed=3)
    pipe = Pipeline(
        chunker=chunkers.Window(200, 0), retriever=retrievers.BM25(), reader=readers.Extractive(), k=3
    )
    trial = study.ask()
    rung = evaluate_trial(ev, trial, pipe)
    assert rung.values["hit@1"] == 1.0  # each question names its document's unique word
    frozen = study.tell(trial, rung.objective_values)
    assert sorted(frozen.intermediate_values) == [2, 6]
    assert len(frozen.intermediate_scores[2]) == 2 and len(frozen.intermediate_scores[6]) == 6
    assert frozen.user_attrs == {}  # ragtune's bookkeeping is not the user's
    results = trial_results(frozen)
    assert sorted(results.question_ids) == [f"q{i}" for i in range(6)]
    assert results.scores["hit@1"] == (1.0,) * 6
    assert results.metrics["hit@1"] == 1.0
    # one copy: the objectives' per-question scores are the reported rows of the last rung, not an attr
    stored = frozen.system_attrs["ragtune:per_question"]
    assert "hit@1" not in stored["scores"] and stored["reported"] == {
        "step": 6,
        "columns": {"hit@1": 0, "exact_match": 1},
    }
    assert results.scores["exact_match"] == tuple(row[1] for row in frozen.intermediate_scores[6])


def test_answer_objective_without_reader_is_a_clear_error():
    ev = Evaluator(_toy_set(), ["f1"])
    pipe = Pipeline(chunker=chunkers.Window(200, 0), retriever=retrievers.BM25())
    with pytest.raises(ConfigError, match="needs an answer, but the pipeline has no reader"):
        ev.evaluate(pipe)


def test_constraints_are_recorded_as_violations():
    data = _toy_set()
    study = rt.create_study(direction="maximize", sampler=RandomSampler(seed=0))
    ev = Evaluator(data, ["ndcg@3"], constraints=["latency_mean_ms <= 0.000001"], rungs=(1.0,))
    pipe = Pipeline(chunker=chunkers.Window(200, 0), retriever=retrievers.BM25(), reader=SleepyReader(0.001))
    trial = study.ask()
    frozen = study.tell(trial, evaluate_trial(ev, trial, pipe).objective_values)
    assert frozen.constraints is not None and frozen.constraints[0] > 0
    assert study.best_trials == []


def test_run_yields_one_result_per_rung_and_stopping_early_saves_rankings(tmp_path):
    from ragtune.pipelines import Cache
    from ragtune.pipelines.retrieval_store import load_retrievals

    data = _toy_set()
    ev = Evaluator(data, ["hit@1"], rungs=(1 / 3, 1.0), seed=3, cache=Cache(tmp_path))
    pipe = Pipeline(chunker=chunkers.Window(200, 0), retriever=retrievers.BM25(), k=3)
    rungs = ev.run(pipe)
    first = next(rungs)
    assert (first.step, first.n_questions, first.is_last) == (2, 6, False)
    assert first.objective_values == (1.0,) and first.scores == [[1.0], [1.0]]
    rungs.close()  # a pruned trial stops here: its two rankings still reach the disk
    index = pipe.build_index(data.corpus, cache=Cache(tmp_path))
    assert len(load_retrievals(Cache(tmp_path), index.key)) == 2
    assert [r.step for r in ev.run(pipe)] == [2, 6]


def test_evaluate_trial_stores_what_the_pruned_trial_saw():
    from ragtune.pruners import Pruner

    class AlwaysPrune(Pruner):
        def prune(self, view, trial):
            return True

    data = _toy_set()
    study = rt.create_study(direction="maximize", sampler=RandomSampler(seed=0), pruner=AlwaysPrune())
    ev = Evaluator(data, ["hit@1"], rungs=(1 / 3, 1.0), seed=3)
    pipe = Pipeline(chunker=chunkers.Window(200, 0), retriever=retrievers.BM25(), k=3)
    trial = study.ask()
    with pytest.raises(rt.TrialPruned, match="pruned after 2 of 6 questions"):
        evaluate_trial(ev, trial, pipe)
    frozen = study.tell(trial, state=rt.TrialState.PRUNED)
    assert sorted(frozen.intermediate_values) == [2]
    assert trial_results(frozen).questions_evaluated == 2 and frozen.user_attrs == {}
