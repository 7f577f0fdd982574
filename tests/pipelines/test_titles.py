"""Titles in chunks: which chunk holds the title, offsets into the text, and cache keys per title mode."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragtune.datasets.types import Document
from ragtune.exceptions import ConfigError
from ragtune.pipelines import Cache, Pipeline, chunkers, embedders, retrievers
from ragtune.pipelines.chunkers.titles import title_prefix
from ragtune.pipelines.index import index_identity
from ragtune.pipelines.keys import corpus_fingerprint, stage_key

DOC = Document("d1", "First sentence here. Second one follows. Third ends it.", title="A Title")


def _parts(chunk, doc):  # (prefix, body): the body is the document slice the offsets name
    body = doc.text[chunk.start : chunk.end]
    assert chunk.text.endswith(body)
    return chunk.text[: len(chunk.text) - len(body)], body


@pytest.mark.parametrize(
    "make",
    [
        lambda t: chunkers.Window(20, 5, title=t),
        lambda t: chunkers.Window(3, 1, unit="tokens", title=t),
        lambda t: chunkers.Sentence(25, title=t),
        lambda t: chunkers.Recursive(25, 5, title=t),
    ],
)
def test_each_first_none_put_the_title_where_they_say(make) -> None:
    each, first, none = (make(t).chunk(DOC) for t in ("each", "first", "none"))
    assert len(each) == len(first) == len(none) >= 2
    for i, (a, b, c) in enumerate(zip(each, first, none, strict=True)):
        assert (a.start, a.end) == (b.start, b.end) == (c.start, c.end)  # titles never move offsets
        assert _parts(a, DOC) == ("A Title. ", c.text)
        assert _parts(b, DOC) == ("A Title. " if i == 0 else "", c.text)
        assert _parts(c, DOC) == ("", DOC.text[c.start : c.end])


def test_default_prepends_the_title_to_every_chunk() -> None:
    chunks = chunkers.Window(20, 5).chunk(DOC)
    assert all(c.text.startswith("A Title. ") for c in chunks)
    assert chunkers.Window(20).params.title == "each"


def test_title_prefix_punctuation_whitespace_and_empty_titles() -> None:
    assert title_prefix("Is BM25 enough?", "each", 3) == "Is BM25 enough? "
    assert title_prefix("  two\n lines  ", "first", 0) == "two lines. "
    assert title_prefix("T", "first", 1) == "" and title_prefix("T", "none", 0) == ""
    assert title_prefix("", "each", 0) == "" and title_prefix("   ", "each", 0) == ""
    untitled = Document("u", "Some text here.")
    assert chunkers.Window(100).chunk(untitled)[0].text == "Some text here."


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    text=st.text(alphabet="ab .\n", max_size=80),
    title=st.text(alphabet="xy .?", max_size=12),
    size=st.integers(1, 30),
)
def test_offsets_point_into_the_text_for_any_title(text: str, title: str, size: int) -> None:
    doc = Document("d", text, title=title)
    for chunker in (chunkers.Window(size, size // 3), chunkers.Recursive(size, size // 3)):
        for i, c in enumerate(chunker.chunk(doc)):
            prefix, body = _parts(c, doc)
            assert body == text[c.start : c.end] and body.strip()
            assert prefix == title_prefix(title, "each", i)


def test_cache_keys_differ_with_and_without_titles(tmp_path) -> None:
    fp = corpus_fingerprint([DOC])
    keys = {t: stage_key(chunkers.Window(20, 5, title=t), fp) for t in ("each", "first", "none")}
    assert len(set(keys.values())) == 3
    bm25 = retrievers.BM25()
    ids = {t: index_identity(fp, chunkers.Window(20, 5, title=t), None, bm25) for t in keys}
    assert len(set(ids.values())) == 3
    # Built through the cache: a title mode never reuses another mode's chunks or index.
    cache = Cache(tmp_path / "cache")
    built = {}
    for t in ("each", "none", "each"):
        p = Pipeline(chunker=chunkers.Window(20, 5, title=t), retriever=bm25)
        index = p.build_index([DOC], cache=cache)
        built.setdefault(t, []).append(index.stages["chunks"])
        assert all(c.text.startswith("A Title. ") == (t == "each") for c in index.chunks)
    assert built == {"each": ["built", "memory"], "none": ["built"]}


def test_titles_reach_the_retrievers() -> None:
    docs = [Document("a", "nothing relevant", title="Quantum chromodynamics"), Document("b", "other words")]
    for title, expected in (("each", ["a"]), ("none", [])):
        p = Pipeline(chunker=chunkers.Window(100, title=title), retriever=retrievers.BM25())
        result = p.query(p.build_index(docs), "chromodynamics")
        assert result.doc_ids == expected
    p = Pipeline(
        chunker=chunkers.Window(100, title="each"),
        embedder=embedders.TfidfSvdEmbedder(dim=2),
        retriever=retrievers.Dense(),
    )
    assert p.build_index(docs).vectors is not None


def test_unknown_title_mode_is_a_one_line_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"^Window: title must be 'each', 'first' or 'none', but got title='all'$"
    ):
        chunkers.Window(10, title="all")  # type: ignore[arg-type]
