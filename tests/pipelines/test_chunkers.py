"""Chunk boundaries and overlaps of the window, sentence and recursive chunkers, worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragtune.datasets.types import Document
from ragtune.exceptions import ConfigError
from ragtune.pipelines.chunkers import Chunker, Recursive, Sentence, Window
from ragtune.pipelines.records import Chunk


def spans(chunks: list[Chunk]) -> list[tuple[int, int]]:
    return [(c.start, c.end) for c in chunks]


def test_window_chars_offsets_and_overlap() -> None:
    doc = Document("d", "abcdefghij")
    # step = size - overlap = 3; the third window reaches the end, so there is no fourth.
    assert spans(Window(4, 1).chunk(doc)) == [(0, 4), (3, 7), (6, 10)]
    assert [c.text for c in Window(4, 1).chunk(doc)] == ["abcd", "defg", "ghij"]
    assert spans(Window(4, 2).chunk(doc)) == [(0, 4), (2, 6), (4, 8), (6, 10)]
    assert spans(Window(20, 5).chunk(doc)) == [(0, 10)]
    assert Window(4, 1).chunk(Document("e", "")) == []


def test_window_last_chunk_may_be_short() -> None:
    doc = Document("d", "x" * 1000)
    assert spans(Window(512, 64).chunk(doc)) == [(0, 512), (448, 960), (896, 1000)]


def test_window_tokens_uses_whitespace_tokens_and_char_offsets() -> None:
    text = "one two  three four five"
    chunks = Window(2, 1, unit="tokens").chunk(Document("d", text))
    assert spans(chunks) == [(0, 7), (4, 14), (9, 19), (15, 24)]
    assert [c.text for c in chunks] == ["one two", "two  three", "three four", "four five"]
    assert all(c.doc_id == "d" for c in chunks)


def test_sentence_chunker_packs_whole_sentences() -> None:
    text = "One two. Three four five. Six.\n\nSeven eight."
    s1, s2, s3 = (0, 8), (9, 25), (26, 30)
    s4 = (text.index("Seven"), len(text))
    assert text[s1[0] : s1[1]] == "One two." and text[s3[0] : s3[1]] == "Six."
    doc = Document("d", text)
    # 20 chars: s1+s2 would span 25, s2+s3 21, s3+s4 18.
    assert spans(Sentence(20).chunk(doc)) == [s1, s2, (s3[0], s4[1])]
    # 30 chars with one sentence of overlap: s1..s3 span exactly 30; the next chunk repeats s3.
    assert spans(Sentence(30, overlap_sentences=1).chunk(doc)) == [(0, 30), (s3[0], s4[1])]


def test_sentence_chunker_keeps_abbreviations_inside_sentences() -> None:
    text = "Use e.g. a list. Then stop."
    chunks = Sentence(16).chunk(Document("d", text))
    assert [c.text for c in chunks] == ["Use e.g. a list.", "Then stop."]


def test_sentence_chunker_splits_an_overlong_sentence_at_words() -> None:
    text = "aaaa bbbb cccc dddd."
    chunks = Sentence(9).chunk(Document("d", text))
    assert [c.text for c in chunks] == ["aaaa bbbb", "cccc", "dddd."]


def test_recursive_prefers_paragraphs_then_sentences() -> None:
    text = "Alpha beta gamma.\n\nDelta epsilon. Zeta eta theta iota."
    doc = Document("d", text)
    # Paragraph 1 fits in 20; paragraph 2 (35 chars) is split into its two sentences.
    assert [c.text for c in Recursive(20).chunk(doc)] == [
        "Alpha beta gamma.",
        "Delta epsilon.",
        "Zeta eta theta iota.",
    ]
    # With 40 characters both paragraphs fit on their own, but not together.
    assert spans(Recursive(40).chunk(doc)) == [(0, 17), (19, 54)]


def test_recursive_overlap_repeats_trailing_words() -> None:
    text = "aa bb cc dd ee ff"
    chunks = Recursive(8, 3).chunk(Document("d", text))
    # "cc" (2 chars) and "ee" fit in the 3-char overlap; "bb cc" (5 chars) does not.
    assert spans(chunks) == [(0, 8), (6, 14), (12, 17)]
    assert [c.text for c in chunks] == ["aa bb cc", "cc dd ee", "ee ff"]


def test_recursive_cuts_an_overlong_word() -> None:
    assert spans(Recursive(4).chunk(Document("d", "abcdefghij"))) == [(0, 4), (4, 8), (8, 10)]
    assert Recursive(4).chunk(Document("d", "  \n ")) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Window(512, 600), "Window: overlap must be < size, but got overlap=600, size=512"),
        (lambda: Window(0), "Window: size must be > 0, but got size=0"),
        (lambda: Window(10, -1), "Window: overlap must be >= 0, but got overlap=-1"),
        (lambda: Window(10, unit="words"), "Window: unit must be 'chars' or 'tokens', but got unit='words'"),
        (lambda: Recursive(100, 100), "Recursive: overlap must be < size, but got overlap=100, size=100"),
        (lambda: Sentence(0), "Sentence: max_chars must be > 0, but got max_chars=0"),
    ],
)
def test_bad_params_raise_one_line_config_errors(make: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        make()  # type: ignore[operator]
    assert str(info.value) == message


def test_chunkers_satisfy_the_protocol_and_compare_by_params() -> None:
    assert (
        isinstance(Window(10), Chunker)
        and isinstance(Sentence(10), Chunker)
        and isinstance(Recursive(10), Chunker)
    )
    assert Window(10, 2) == Window(10, 2) and hash(Window(10, 2)) == hash(Window(10, 2))
    assert Window(10, 2) != Window(10, 3)
    assert repr(Window(10, 2)) == "Window(size=10, overlap=2, unit='chars', title='each')"


_PIECES = st.sampled_from(["a", "b", " ", "cd", ".", "!", "?", "\n", "\t", "\n\n", "e.g. ", "Ω", "xyzzyx"])
_TEXT = st.lists(_PIECES, max_size=120).map("".join)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(text=_TEXT, size=st.integers(1, 60), overlap_ratio=st.floats(0, 0.95))
def test_every_chunker_keeps_exact_offsets_bounds_and_coverage(
    text: str, size: int, overlap_ratio: float
) -> None:
    overlap = min(int(size * overlap_ratio), size - 1)
    doc = Document("d", text)
    for chunker, limit in (
        (Window(size, overlap), size),
        (Window(size, overlap, unit="tokens"), None),
        (Sentence(size, overlap_sentences=overlap % 3), size),
        (Recursive(size, overlap), size),
    ):
        chunks = chunker.chunk(doc)
        covered = [False] * len(text)
        for c in chunks:
            assert c.text == text[c.start : c.end] and c.text.strip()
            assert limit is None or c.end - c.start <= limit
            for i in range(c.start, c.end):
                covered[i] = True
        assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace()), chunker
        starts = [c.start for c in chunks]
        assert starts == sorted(set(starts)), chunker
