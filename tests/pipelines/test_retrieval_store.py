"""Retrievals kept on disk per index configuration: other processes and later runs rank nothing twice."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from ragtune.datasets.types import Document, EvalSet, Judgment, Question
from ragtune.objectives.evaluator import Evaluator
from ragtune.pipelines import Cache, Pipeline, chunkers, embedders, rerankers, retrievers
from ragtune.pipelines.retrieval_store import LABEL, load_retrievals, save_retrievals

CORPUS = [
    Document("len", "len returns the number of items in a container such as a list, a dict or a string."),
    Document("zip", "zip pairs up items from several iterables and stops at the shortest one."),
    Document("sorted", "sorted returns a new sorted list; key and reverse change the order it sorts by."),
    Document("open", "open returns a file object; the mode says whether to read, write or append text."),
    Document(
        "range", "range gives an immutable sequence of integers, often used to loop a set number of times."
    ),
]
QUESTIONS = [
    "number of items in a container",
    "pair items from iterables",
    "read or write a file",
    "loop a set number of times",
]


def _bm25() -> Pipeline:
    return Pipeline(chunker=chunkers.Window(60, 10), retriever=retrievers.BM25(), k=3)


def _dense_mmr() -> Pipeline:
    return Pipeline(
        chunker=chunkers.Sentence(80),
        embedder=embedders.TfidfSvdEmbedder(dim=4),
        retriever=retrievers.Dense(),
        reranker=rerankers.MMR(lambda_=0.5),
        k=2,
        fetch_k=4,
    )


def test_a_new_cache_on_the_same_folder_ranks_nothing_the_first_ranked(tmp_path: Path) -> None:
    for make in (_bm25, _dense_mmr):
        root = tmp_path / make.__name__
        pipeline = make()
        first_index = pipeline.build_index(CORPUS, cache=Cache(root))
        first = [pipeline.query(first_index, q) for q in QUESTIONS[:3]]
        assert not any(r.retrieval_cached for r in first)
        first_index.state.save()

        # A fresh Cache object has empty memos, as in another process or a later run.
        pipeline = make()
        again_index = pipeline.build_index(CORPUS, cache=Cache(root))
        again = [pipeline.query(again_index, q) for q in QUESTIONS[:3]]
        assert all(r.retrieval_cached for r in again)
        for a, b in zip(first, again, strict=True):
            assert a.hits == b.hits and a.doc_ranking == b.doc_ranking  # MMR reads the stored query vector
            assert a.timings["retrieve"] == b.timings["retrieve"]  # the measured cost is replayed
        assert not pipeline.query(again_index, QUESTIONS[3]).retrieval_cached  # never ranked: searched


def test_saves_merge_and_keep_the_deeper_ranking(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    shallow = Pipeline(chunker=chunkers.Window(60, 10), retriever=retrievers.BM25(), k=3)
    deep = Pipeline(chunker=chunkers.Window(60, 10), retriever=retrievers.BM25(), k=3, fetch_k=30)
    index = shallow.build_index(CORPUS, cache=cache)
    shallow.query(index, QUESTIONS[0])
    key = index.state.key
    stored_shallow = load_retrievals(Cache(tmp_path), key)  # nothing saved yet
    assert stored_shallow == {}
    index.state.save()
    other = Cache(tmp_path)
    deep_index = deep.build_index(CORPUS, cache=other)
    assert deep_index.state.key == key  # fetch_k is query time: same index configuration
    deep.query(deep_index, QUESTIONS[0])  # 20 deep is not 30 deep: searched again, deeper
    deep.query(deep_index, QUESTIONS[1])
    deep_index.state.save()
    stored = load_retrievals(Cache(tmp_path), key)
    assert set(stored) == set(QUESTIONS[:2])
    assert stored[QUESTIONS[0]].depth == 30
    # An older, shallower save arriving later does not replace the deeper ranking.
    save_retrievals(cache, key, {QUESTIONS[0]: index.state.cached(QUESTIONS[0], 1)})  # type: ignore[dict-item]
    assert load_retrievals(Cache(tmp_path), key)[QUESTIONS[0]].depth == 30
    assert cache.counts[LABEL].items == 2  # one question saved by each of the two saves through `cache`


def test_a_damaged_entry_reads_as_empty_and_is_rebuilt(tmp_path: Path) -> None:
    pipeline = _bm25()
    index = pipeline.build_index(CORPUS, cache=Cache(tmp_path))
    pipeline.query(index, QUESTIONS[0])
    index.state.save()
    cache = Cache(tmp_path)
    path = cache.path_for(LABEL, index.state.key)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    assert load_retrievals(cache, index.state.key) == {}
    again = _bm25().query(_bm25().build_index(CORPUS, cache=Cache(tmp_path)), QUESTIONS[0])
    assert not again.retrieval_cached


def test_the_evaluator_saves_what_a_trial_ranked(tmp_path: Path) -> None:
    relevant = ("len", "zip", "open", "range")
    dataset = EvalSet(
        name="tiny",
        corpus=tuple(CORPUS),
        questions=tuple(Question(f"q{i}", q) for i, q in enumerate(QUESTIONS)),
        judgments=tuple(Judgment(f"q{i}", doc, 1) for i, doc in enumerate(relevant)),
    )
    cache = Cache(tmp_path)
    evaluator = Evaluator(dataset, objectives=["ndcg@3"], cache=cache, seed=0)
    pipeline = _bm25()
    first = evaluator.evaluate(pipeline)
    key = pipeline.build_index(CORPUS, cache=cache).state.key
    assert set(load_retrievals(Cache(tmp_path), key)) == set(QUESTIONS)
    later = Evaluator(dataset, objectives=["ndcg@3"], cache=Cache(tmp_path), seed=0).evaluate(_bm25())
    assert later.values == first.values


_WORKER = textwrap.dedent(
    """
    import json, sys
    from ragtune.datasets.types import Document
    from ragtune.pipelines import Cache, Pipeline, chunkers, retrievers
    root, corpus, questions = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    docs = [Document(d, t) for d, t in corpus]
    pipeline = Pipeline(chunker=chunkers.Window(60, 10), retriever=retrievers.BM25(), k=3)
    index = pipeline.build_index(docs, cache=Cache(root))
    for q in questions:
        pipeline.query(index, q)
    index.state.save()
    """
)


def test_two_processes_saving_at_once_end_with_every_question(tmp_path: Path) -> None:
    corpus = json.dumps([[d.id, d.text] for d in CORPUS])
    halves = (QUESTIONS[:2], QUESTIONS[2:])
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path), corpus, json.dumps(h)])
        for h in halves
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    pipeline = _bm25()
    index = pipeline.build_index(CORPUS, cache=Cache(tmp_path))
    stored = load_retrievals(Cache(tmp_path), index.state.key)
    assert set(stored) == set(QUESTIONS)
    for q in QUESTIONS:
        fresh = _bm25().query(_bm25().build_index(CORPUS), q)  # no cache: searched here
        got = pipeline.query(index, q)
        assert got.retrieval_cached and got.hits == fresh.hits
        np.testing.assert_array_equal(stored[q].positions[:3], [h.position for h in fresh.hits])


def test_persist_retrievals_off_keeps_them_in_memory_only(tmp_path: Path) -> None:
    pipeline = _bm25()
    index = pipeline.build_index(CORPUS, cache=Cache(tmp_path, persist_retrievals=False))
    pipeline.query(index, QUESTIONS[0])
    index.state.save()
    assert load_retrievals(Cache(tmp_path), index.state.key) == {}
    assert pipeline.query(index, QUESTIONS[0]).retrieval_cached  # still memoised in this process
