"""Stemming in the analyzer: hand cases, BM25 scores of stemmed terms against a hand computation, errors."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from ragtune.datasets.types import Document
from ragtune.exceptions import ConfigError, MissingDependencyError
from ragtune.pipelines import Pipeline, chunkers, embedders, retrievers
from ragtune.pipelines.analyzer import SNOWBALL_LANGUAGES, AnalyzerParams, analyze
from ragtune.pipelines.index import build_index

pytest.importorskip("Stemmer")


def test_english_stemmer_on_hand_cases() -> None:
    english = AnalyzerParams(stemmer="english")
    assert analyze("Running runs ran; runner's studies", english) == [
        "run",
        "run",
        "ran",
        "runner",
        "s",
        "studi",
    ]
    assert analyze("caresses ponies relational generalizations", english) == [
        "caress",
        "poni",
        "relat",
        "general",
    ]
    # Stopwords are matched on the unstemmed word, then the rest is stemmed.
    both = AnalyzerParams(stopwords="english", stemmer="english")
    assert analyze("The cells were dividing into the others", both) == ["cell", "divid", "other"]
    assert analyze("ÉCOLES Écoles", AnalyzerParams(stemmer="french")) == ["écol", "écol"]
    assert analyze("Häuser häuser", AnalyzerParams(stemmer="german")) == ["haus", "haus"]
    assert analyze("Cells", AnalyzerParams()) == ["cells"]  # no stemmer: terms unchanged


def test_stemmer_is_part_of_the_index_key_but_k1_b_are_not(tmp_path) -> None:
    from ragtune.pipelines import Cache

    docs = [Document("a", "cells running"), Document("b", "other text")]
    cache = Cache(tmp_path / "c")
    window = chunkers.Window(100)
    first = build_index(docs, chunker=window, embedder=None, retriever=retrievers.BM25(), cache=cache)
    stemmed = build_index(
        docs, chunker=window, embedder=None, retriever=retrievers.BM25(stemmer="english"), cache=cache
    )
    reweighted = build_index(
        docs,
        chunker=window,
        embedder=None,
        retriever=retrievers.BM25(k1=0.5, b=0.1, stemmer="english"),
        cache=cache,
    )
    assert first.stages["index"] == stemmed.stages["index"] == "built"
    assert reweighted.stages["index"] == "hit"  # the raw counts are reused; only k1/b reweight


def test_stemmed_bm25_scores_match_a_hand_computation() -> None:
    docs = [
        Document("d0", "Cells running"),  # cell, run
        Document("d1", "The cell runs and runs"),  # cell, run, run (the, and: stopwords)
        Document("d2", "Studies of ponies"),  # studi, poni
    ]
    bm25 = retrievers.BM25(k1=1.2, b=0.75, stopwords="english", stemmer="english")
    index = build_index(
        docs, chunker=chunkers.Window(100, title="none"), embedder=None, retriever=bm25, cache=None
    )
    scores = index.state.searcher.scores("running cells")  # type: ignore[attr-defined]

    # By hand: N = 3, df(cell) = df(run) = 2, lengths 2, 3, 2, avgdl = 7/3.
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    avgdl = 7 / 3

    def term(tf: int, length: int) -> float:
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avgdl))

    expected = [term(1, 2) + term(1, 2), term(1, 3) + term(2, 3), 0.0]
    assert np.allclose(scores, expected, rtol=1e-12, atol=0)
    assert expected[1] > expected[0] > 0  # d1 repeats "runs": stemming makes it count

    # Unstemmed, "cells"/"running" match only d0 and d1 shares no term with the query.
    plain = retrievers.BM25(k1=1.2, b=0.75, stopwords="english")
    result = Pipeline(chunker=chunkers.Window(100, title="none"), retriever=plain)
    assert result.query(result.build_index(docs), "running cells").doc_ids == ["d0"]


def test_tfidf_svd_and_hybrid_take_the_stemmer() -> None:
    docs = [Document("a", "cells running fast"), Document("b", "the cell runs"), Document("c", "ponies")]
    emb = embedders.TfidfSvdEmbedder(dim=2, stemmer="english")
    fit = emb.fit(["cells running fast", "the cell runs", "ponies"])
    assert "cell" in fit["vocabulary"] and "cells" not in fit["vocabulary"]
    hybrid = retrievers.Hybrid(bm25=retrievers.BM25(stemmer="english"))
    assert hybrid.index_params()["bm25"]["stemmer"] == "english"
    p = Pipeline(chunker=chunkers.Window(100), embedder=emb, retriever=hybrid)
    assert set(p.query(p.build_index(docs), "cell").doc_ids[:2]) == {"a", "b"}


def test_unknown_stemmer_language_is_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        retrievers.BM25(stemmer="klingon")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("BM25: stemmer must be None or a Snowball language (arabic, armenian,")
    assert message.endswith("but got stemmer='klingon'")
    assert all(lang in message for lang in SNOWBALL_LANGUAGES)


def test_missing_pystemmer_is_one_line_with_the_pip_command(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "Stemmer" else real(name, *a)
    )
    with pytest.raises(MissingDependencyError) as info:
        retrievers.BM25(stemmer="english")
    assert str(info.value) == (
        "stemmer='english' needs PyStemmer, which is not installed; pip install 'ragtune[stem]'"
    )
    retrievers.BM25()  # no stemmer: nothing to install


def test_the_extractive_reader_matches_stemmed_terms() -> None:
    from ragtune.pipelines import readers

    context = ["Nothing here. The enzyme runs faster at high temperatures. Other words."]
    assert readers.Extractive().read("running enzymes", context).answer == ""  # no shared term unstemmed
    stemmed = readers.Extractive(stemmer="english")
    assert stemmed.read("running enzymes", context).answer == "The enzyme runs faster at high temperatures."
    assert stemmed.params.stemmer == "english"
    with pytest.raises(ConfigError, match=r"^Extractive: stemmer must be None or a Snowball language"):
        readers.Extractive(stemmer="klingon")
