"""Content keys: the corpus fingerprint and stage keys change exactly when their inputs do."""

from __future__ import annotations

from ragtune.datasets.types import Document
from ragtune.pipelines.chunkers import Window
from ragtune.pipelines.keys import content_key, corpus_fingerprint, stage_key
from ragtune.pipelines.retrievers import BM25


def test_corpus_fingerprint_covers_ids_texts_titles_and_order() -> None:
    docs = [Document("a", "one"), Document("b", "two")]
    base = corpus_fingerprint(docs)
    assert base == corpus_fingerprint([Document("a", "one"), Document("b", "two")])
    assert base != corpus_fingerprint([Document("a", "one"), Document("b", "two!")])
    assert base != corpus_fingerprint([Document("a", "one"), Document("c", "two")])
    assert base != corpus_fingerprint([Document("a", "one", title="T"), Document("b", "two")])
    assert base != corpus_fingerprint(list(reversed(docs)))
    # Field boundaries are unambiguous.
    assert corpus_fingerprint([Document("ab", "c")]) != corpus_fingerprint([Document("a", "bc")])
    assert len(base) == 64


def test_stage_keys_follow_kind_version_params_and_input() -> None:
    key = stage_key(Window(10, 2), "corpus")
    assert key == stage_key(Window(10, 2), "corpus")
    assert key != stage_key(Window(10, 3), "corpus")
    assert key != stage_key(Window(10, 2), "other corpus")
    assert stage_key(BM25(k1=1.0), "c", params=BM25().index_params()) == stage_key(
        BM25(k1=2.0), "c", params=BM25().index_params()
    )
    assert content_key("a", "b") != content_key("ab")
