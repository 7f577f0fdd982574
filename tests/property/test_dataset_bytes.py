"""Dataset loaders on arbitrary input: a valid EvalSet or one DatasetError line, never a crash or a hang.

tests/datasets/test_dataset_fuzz.py feeds byte soup; here rows are well-formed JSON objects with
arbitrary keys and values (which reach the field checks), and adversarial files (deep nesting, huge
lines and numbers, many columns, NULs, lone carriage returns) must fail fast.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ragtune.datasets as ds
from ragtune.datasets import EvalSet
from ragtune.exceptions import DatasetError

sys.path.insert(0, str(Path(__file__).parent))
from property_strategies import FIXED

LIMIT_S = 5.0  # generous for a loaded CI machine; the inputs here load in milliseconds

KEYS = [
    "id",
    "_id",
    "text",
    "title",
    "answers",
    "tags",
    "question_id",
    "doc_id",
    "grade",
    "score",
    "query-id",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["d1", "d2", "q1", "q2", "", " ", "1", "2"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
rows = st.lists(
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), json_values, max_size=5),
    min_size=0,
    max_size=6,
)


def outcome(call: Callable[[], EvalSet]) -> None:
    start = time.monotonic()
    try:
        got = call()
    except DatasetError as e:
        assert str(e) and "\n" not in str(e)
    else:
        ids = [d.id for d in got.corpus]
        assert got.corpus and got.questions and len(ids) == len(set(ids))
        doc_ids, question_ids = set(ids), {q.id for q in got.questions}
        for j in got.judgments:
            assert j.doc_id in doc_ids and j.question_id in question_ids
        assert all(q.text.strip() for q in got.questions)
    assert time.monotonic() - start < LIMIT_S, "a loader took too long"


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in items), encoding="utf-8")
    return path


def write_csv(path: Path, items: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys(k for r in items for k in r))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for r in items:
        writer.writerow([v if isinstance(v, str) else json.dumps(v) for v in (r.get(c, "") for c in columns)])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@FIXED
@given(corpus=rows, questions=rows, qrels=rows)
def test_jsonl_rows_with_arbitrary_fields(corpus: list[Any], questions: list[Any], qrels: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        c = write_jsonl(root / "corpus.jsonl", corpus)
        q = write_jsonl(root / "questions.jsonl", questions)
        r = write_jsonl(root / "qrels.jsonl", qrels)
        outcome(lambda: ds.from_jsonl(c, q, r))
        outcome(lambda: ds.from_jsonl(c, q))


@FIXED
@given(corpus=rows, questions=rows, qrels=rows)
def test_csv_rows_with_arbitrary_cells(corpus: list[Any], questions: list[Any], qrels: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_csv(root / "corpus.csv", corpus)
        write_csv(root / "questions.csv", questions)
        write_csv(root / "qrels.csv", qrels)
        outcome(lambda: ds.from_csv(root / "corpus.csv", root / "questions.csv", root / "qrels.csv"))
        outcome(lambda: ds.from_files(root))


_GOOD_CORPUS = b'{"id": "d1", "text": "one"}\n'
_GOOD_QUESTIONS = b'{"id": "q1", "text": "one?"}\n'

ADVERSARIAL: dict[str, bytes] = {
    "deep_nesting": b'{"id": "d1", "text": ' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
    "deep_nesting_unclosed": b"[" * 500_000 + b"\n",
    "huge_integer": b'{"id": ' + b"9" * 200_000 + b', "text": "x"}\n',
    "huge_line": b'{"id": "d1", "text": "' + b"a" * 8_000_000 + b'"}\n',
    "many_blank_lines": b"\n" * 1_000_000 + _GOOD_CORPUS,
    "only_carriage_returns": b'{"id": "d1",\r"text": "one"}\r{"id": "d2", "text": "two"}\r',
    "nul_bytes": b'{"id": "d\x001", "text": "o\x00ne"}\n\x00\x00\x00\n',
    "bom_then_garbage": b"\xef\xbb\xbf\xff\xfe{}\n",
    "lone_surrogate_escape": b'{"id": "d1", "text": "\\ud800"}\n',
    "many_keys": b"{"
    + b", ".join(b'"k%d": %d' % (i, i) for i in range(100_000))
    + b', "id": "d1", "text": "x"}\n',
}
ADVERSARIAL_CSV: dict[str, bytes] = {
    "many_columns": b",".join(b"c%d" % i for i in range(50_000)) + b",id,text\n" + b"," * 50_000 + b"d1,x\n",
    "unterminated_quote": b'id,text\nd1,"' + b"x" * 1_000_000 + b"\n",
    "huge_cell": b"id,text\nd1," + b"y" * 8_000_000 + b"\n",
    "nul_in_cells": b"id,text\nd\x001,x\x00y\n",
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_jsonl_fails_fast_or_loads(tmp_path: Path, name: str) -> None:
    (tmp_path / "corpus.jsonl").write_bytes(ADVERSARIAL[name])
    (tmp_path / "questions.jsonl").write_bytes(_GOOD_QUESTIONS)
    outcome(lambda: ds.from_jsonl(tmp_path / "corpus.jsonl", tmp_path / "questions.jsonl"))
    (tmp_path / "corpus.jsonl").write_bytes(_GOOD_CORPUS)
    (tmp_path / "questions.jsonl").write_bytes(ADVERSARIAL[name].replace(b'"d1"', b'"q1"'))
    outcome(lambda: ds.from_jsonl(tmp_path / "corpus.jsonl", tmp_path / "questions.jsonl"))


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_CSV))
def test_adversarial_csv_fails_fast_or_loads(tmp_path: Path, name: str) -> None:
    (tmp_path / "corpus.csv").write_bytes(ADVERSARIAL_CSV[name])
    (tmp_path / "questions.csv").write_bytes(b"id,text\nq1,one?\n")
    outcome(lambda: ds.from_csv(tmp_path / "corpus.csv", tmp_path / "questions.csv"))


@FIXED
@given(blob=st.binary(min_size=0, max_size=2000))
def test_qrels_tsv_on_arbitrary_bytes(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "corpus.jsonl").write_bytes(_GOOD_CORPUS)
        (root / "questions.jsonl").write_bytes(_GOOD_QUESTIONS)
        (root / "qrels.tsv").write_bytes(blob)
        outcome(lambda: ds.from_jsonl(root / "corpus.jsonl", root / "questions.jsonl", root / "qrels.tsv"))
