"""Arbitrary bytes in any dataset file give either a valid EvalSet or a DatasetError, never anything else."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import ragtune.datasets as ds
from ragtune.datasets import EvalSet
from ragtune.exceptions import DatasetError

# Bytes close to the formats reach deeper than uniform noise: braces, quotes, separators, ids, keys.
_PIECES = [
    *'{}[]":,\n\r\t 0123456789.-eE\\',
    '"id"', '"_id"', '"text"', '"title"', '"answers"', '"grade"', '"question_id"', '"doc_id"',
    "d1", "q1", "id,text", "query-id\tcorpus-id\tscore", "null", "true", "\\ud800", "é", "\x00",
]  # fmt: skip
NEAR_FORMAT = st.lists(st.sampled_from(_PIECES), max_size=60).map(lambda parts: "".join(parts).encode())
BLOBS = st.one_of(st.binary(max_size=300), NEAR_FORMAT)

VALID = {
    "jsonl": (
        b'{"id": "d1", "text": "one"}\n{"id": "q1", "text": "one?"}\n',
        b'{"id": "q1", "text": "one?"}\n',
        b'{"question_id": "q1", "doc_id": "d1", "grade": 1}\n',
    ),
    "csv": (b"id,text\nd1,one\nq1,x\n", b"id,text\nq1,one?\n", b"question_id,doc_id,grade\nq1,d1,1\n"),
}


def outcome(call: Callable[[], EvalSet]) -> None:
    try:
        got = call()
    except DatasetError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(got, EvalSet) and got.corpus and got.questions


def files(root: Path, names: tuple[str, str, str], contents: tuple[bytes, bytes, bytes]) -> list[Path]:
    paths = [root / n for n in names]
    for path, data in zip(paths, contents, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return paths


def replace(valid: tuple[bytes, bytes, bytes], which: int, blob: bytes) -> tuple[bytes, bytes, bytes]:
    out = list(valid)
    out[which] = blob
    return (out[0], out[1], out[2])


FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None)


@FUZZ
@given(blob=BLOBS, which=st.integers(0, 2), tsv_qrels=st.booleans())
def test_from_jsonl_on_arbitrary_bytes(blob: bytes, which: int, tsv_qrels: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        names = ("corpus.jsonl", "questions.jsonl", "qrels.tsv" if tsv_qrels else "qrels.jsonl")
        c, q, r = files(Path(tmp), names, replace(VALID["jsonl"], which, blob))
        outcome(lambda: ds.from_jsonl(c, q, r))


@FUZZ
@given(blob=BLOBS, which=st.integers(0, 2))
def test_from_csv_on_arbitrary_bytes(blob: bytes, which: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        c, q, r = files(
            Path(tmp), ("corpus.csv", "questions.csv", "qrels.csv"), replace(VALID["csv"], which, blob)
        )
        outcome(lambda: ds.from_csv(c, q, r))


@FUZZ
@given(blob=BLOBS, which=st.integers(0, 2))
def test_from_beir_and_from_files_on_arbitrary_bytes(blob: bytes, which: int) -> None:
    valid = (VALID["jsonl"][0], VALID["jsonl"][1], b"query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "beir"
        files(root, ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"), replace(valid, which, blob))
        outcome(lambda: ds.from_beir(root))
        outcome(lambda: ds.from_files(root))
        outcome(lambda: ds.load(root))


@FUZZ
@given(blob=BLOBS, which=st.integers(0, 2), csv_corpus=st.booleans())
def test_from_files_on_mixed_layout_with_arbitrary_bytes(blob: bytes, which: int, csv_corpus: bool) -> None:
    corpus = ("corpus.csv", VALID["csv"][0]) if csv_corpus else ("corpus.jsonl", VALID["jsonl"][0])
    valid = (corpus[1], VALID["jsonl"][1], b"q1\td1\t2\n")
    with tempfile.TemporaryDirectory() as tmp:
        files(Path(tmp), (corpus[0], "questions.jsonl", "qrels.tsv"), replace(valid, which, blob))
        outcome(lambda: ds.from_files(tmp))
