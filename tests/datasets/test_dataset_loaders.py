"""Round trips through every loader on small files written to a temporary folder."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import ragtune.datasets as ds
from ragtune.datasets import Document, EvalSet, Judgment, Question
from ragtune.exceptions import DatasetError

DOCS: list[dict[str, Any]] = [
    {"id": "d1", "title": "Apples", "text": "Apples are red or green."},
    {"id": "d2", "title": "", "text": "Bananas are yellow, and they bend."},
    {"id": "d3", "title": "Cherries", "text": "Cherries grow in pairs.\nSome are sour."},
]
QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "text": "What colour are apples?", "answers": ["red", "green"], "tags": ["fruit"]},
    {"id": "q2", "text": "Which fruit is yellow?", "answers": ["Bananas"]},
    {"id": "q3", "text": "Unjudged question"},
]
QRELS: list[dict[str, Any]] = [
    {"question_id": "q1", "doc_id": "d1", "grade": 2},
    {"question_id": "q1", "doc_id": "d3", "grade": 1},
    {"question_id": "q2", "doc_id": "d2", "grade": 1},
]

EXPECTED = EvalSet(
    name="x",
    corpus=(
        Document("d1", "Apples are red or green.", "Apples"),
        Document("d2", "Bananas are yellow, and they bend."),
        Document("d3", "Cherries grow in pairs.\nSome are sour.", "Cherries"),
    ),
    questions=(
        Question("q1", "What colour are apples?", ("red", "green"), ("fruit",)),
        Question("q2", "Which fruit is yellow?", ("Bananas",)),
        Question("q3", "Unjudged question"),
    ),
    judgments=(Judgment("q1", "d1", 2), Judgment("q1", "d3", 1), Judgment("q2", "d2", 1)),
)


def write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], columns: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in rows:
            cells = []
            for c in columns:
                v = r.get(c, "")
                cells.append(json.dumps(v) if isinstance(v, list) else v)
            writer.writerow(cells)
    return path


def write_beir(root: Path, split: str = "test") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_jsonl(
        root / "corpus.jsonl", [{"_id": d["id"], "title": d["title"], "text": d["text"]} for d in DOCS]
    )
    write_jsonl(
        root / "queries.jsonl", [{"_id": q["id"], "text": q["text"], "metadata": {}} for q in QUESTIONS]
    )
    (root / "qrels").mkdir(exist_ok=True)
    lines = ["query-id\tcorpus-id\tscore"] + [
        f"{r['question_id']}\t{r['doc_id']}\t{r['grade']}" for r in QRELS
    ]
    (root / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def same_content(got: EvalSet, expected: EvalSet) -> None:
    assert got.corpus == expected.corpus
    assert got.questions == expected.questions
    assert got.judgments == expected.judgments
    assert got.qrels == {"q1": {"d1": 2, "d3": 1}, "q2": {"d2": 1}}


def test_from_jsonl_round_trip(tmp_path: Path) -> None:
    got = ds.from_jsonl(
        write_jsonl(tmp_path / "corpus.jsonl", DOCS),
        write_jsonl(tmp_path / "questions.jsonl", QUESTIONS),
        write_jsonl(tmp_path / "qrels.jsonl", QRELS),
    )
    same_content(got, EXPECTED)
    assert got.name == tmp_path.name


def test_from_jsonl_without_qrels_keeps_every_question(tmp_path: Path) -> None:
    got = ds.from_jsonl(
        write_jsonl(tmp_path / "c.jsonl", DOCS), write_jsonl(tmp_path / "q.jsonl", QUESTIONS), name="mine"
    )
    assert got.name == "mine"
    assert [q.id for q in got.questions] == ["q1", "q2", "q3"]
    assert got.judgments == ()
    assert got.qrels == {}


def test_from_jsonl_accepts_underscore_ids_int_ids_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(
        b'\xef\xbb\xbf{"_id": 7, "text": "seven"}\r\n\r\n{"id": "x", "text": "", "title": null}\r\n'
    )
    questions = write_jsonl(tmp_path / "questions.jsonl", [{"_id": "1", "text": "q?"}])
    got = ds.from_jsonl(corpus, questions)
    assert got.corpus == (Document("7", "seven"), Document("x", ""))


def test_from_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path: Path) -> None:
    text = "one\u2028two\x0cthree\x85four"
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "d", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    got = ds.from_jsonl(corpus, write_jsonl(tmp_path / "q.jsonl", [{"id": "q", "text": "?"}]))
    assert got.corpus[0].text == text


def test_from_jsonl_with_tsv_qrels_in_beir_and_trec_shapes(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", DOCS)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    beir = tmp_path / "beir.tsv"
    beir.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\nq2\td2\t1\n", encoding="utf-8")
    trec = tmp_path / "run.qrels"
    trec.write_text("q1 0 d1 2\nq1 0 d3 1\nq2 0 d2 1\n", encoding="utf-8")
    for qrels in (beir, trec):
        same_content(ds.from_jsonl(corpus, questions, qrels), EXPECTED)
    two_columns = tmp_path / "two.tsv"
    two_columns.write_text("q2\td2\n", encoding="utf-8")
    assert ds.from_jsonl(corpus, questions, two_columns).judgments == (Judgment("q2", "d2", 1),)


def test_qrels_aliases_integral_float_and_string_grades(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", DOCS)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    qrels = write_jsonl(
        tmp_path / "qrels.jsonl",
        [
            {"query_id": "q1", "corpus_id": "d1", "score": 2.0},
            {"qid": "q1", "docid": "d3", "relevance": "1"},
            {"question_id": "q2", "doc_id": "d2"},
        ],
    )
    same_content(ds.from_jsonl(corpus, questions, qrels), EXPECTED)


def test_exact_duplicate_judgments_collapse(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", DOCS)
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    qrels = write_jsonl(tmp_path / "qrels.jsonl", [*QRELS, QRELS[0]])
    assert len(ds.from_jsonl(corpus, questions, qrels).judgments) == 3


def test_from_csv_round_trip(tmp_path: Path) -> None:
    got = ds.from_csv(
        write_csv(tmp_path / "corpus.csv", DOCS, ["id", "title", "text"]),
        write_csv(tmp_path / "questions.csv", QUESTIONS, ["id", "text", "answers", "tags"]),
        write_csv(tmp_path / "qrels.csv", QRELS, ["question_id", "doc_id", "grade"]),
    )
    same_content(got, EXPECTED)


def test_from_csv_single_answer_cells_and_long_fields(tmp_path: Path) -> None:
    long_text = "word " * 60_000  # longer than the csv module's default 128 KiB field limit
    corpus = write_csv(tmp_path / "corpus.csv", [{"_id": "d", "text": long_text}], ["_id", "text"])
    questions = tmp_path / "questions.csv"
    questions.write_text('id,text,answers\nq,"What, then?",plain answer\nr,Why?,\n', encoding="utf-8")
    got = ds.from_csv(corpus, questions)
    assert got.corpus[0].text == long_text
    assert got.questions[0] == Question("q", "What, then?", ("plain answer",))
    assert got.questions[1].answers == ()


def test_from_beir_keeps_only_judged_questions_by_default(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "tiny")
    got = ds.from_beir(root)
    assert got.name == "tiny"
    assert [q.id for q in got.questions] == ["q1", "q2"]
    assert got.corpus == EXPECTED.corpus
    assert got.judgments == EXPECTED.judgments
    assert [q.id for q in ds.from_beir(root, keep_unjudged=True).questions] == ["q1", "q2", "q3"]


def test_from_beir_names_available_splits_when_one_is_missing(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "tiny", split="dev")
    with pytest.raises(DatasetError, match=r"test\.tsv: file not found \(splits here: dev\)"):
        ds.from_beir(root)
    assert len(ds.from_beir(root, "dev").questions) == 2


def test_from_files_detects_beir_and_picks_the_only_split(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "b", split="train")
    assert len(ds.from_files(root).questions) == 2
    (root / "qrels" / "dev.tsv").write_text("q1\td1\t1\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="several splits"):
        ds.from_files(root)
    assert ds.from_files(root, split="dev").judgments == (Judgment("q1", "d1", 1),)


def test_from_files_detects_mixed_jsonl_csv_and_tsv(tmp_path: Path) -> None:
    write_csv(tmp_path / "corpus.csv", DOCS, ["id", "title", "text"])
    write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    (tmp_path / "qrels.tsv").write_text("q1\td1\t2\nq1\td3\t1\nq2\td2\t1\n", encoding="utf-8")
    same_content(ds.from_files(tmp_path), EXPECTED)


def test_from_files_accepts_queries_name_and_no_qrels(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "corpus.jsonl", DOCS)
    write_jsonl(tmp_path / "queries.jsonl", QUESTIONS)
    got = ds.from_files(tmp_path)
    assert len(got.questions) == 3 and got.judgments == ()


def test_from_files_rejects_ambiguous_and_unknown_layouts(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no eval set found, expected corpus\.jsonl or corpus\.csv"):
        ds.from_files(tmp_path)
    write_jsonl(tmp_path / "corpus.jsonl", DOCS)
    write_csv(tmp_path / "corpus.csv", DOCS, ["id", "text"])
    with pytest.raises(DatasetError, match=r"ambiguous layout, found corpus\.jsonl, corpus\.csv"):
        ds.from_files(tmp_path)
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        ds.from_files(tmp_path / "corpus.jsonl")


def test_load_reads_a_folder_and_rejects_unknown_names(tmp_path: Path) -> None:
    write_beir(tmp_path / "b")
    assert len(ds.load(tmp_path / "b").questions) == 2
    assert len(ds.load(str(tmp_path / "b")).questions) == 2
    with pytest.raises(DatasetError, match=r"unknown dataset 'nope': not a built-in name \(python-docs\)"):
        ds.load("nope")


def test_public_api_is_pinned() -> None:
    assert sorted(ds.__all__) == sorted(
        [
            "EvalSet",
            "Document",
            "Question",
            "Judgment",
            "load",
            "from_files",
            "from_jsonl",
            "from_beir",
            "from_csv",
        ]
    )
