"""Every kind of bad input gives one DatasetError line that names the file and line and says what to fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import ragtune.datasets as ds
from ragtune.exceptions import DatasetError, ValidationError

GOOD_CORPUS = [{"id": "d1", "text": "one"}, {"id": "d2", "text": "two"}]
GOOD_QUESTIONS = [{"id": "q1", "text": "first?"}, {"id": "q2", "text": "second?"}]


def lines(path: Path, *rows: object) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def load_jsonl(
    tmp_path: Path, corpus: list[object] | None = None, questions: list[object] | None = None, *qrels: object
) -> ds.EvalSet:
    c = lines(tmp_path / "corpus.jsonl", *(GOOD_CORPUS if corpus is None else corpus))
    q = lines(tmp_path / "questions.jsonl", *(GOOD_QUESTIONS if questions is None else questions))
    r = lines(tmp_path / "qrels.jsonl", *qrels) if qrels else None
    return ds.from_jsonl(c, q, r)


def error(tmp_path: Path, *args: object) -> str:
    with pytest.raises(DatasetError) as info:
        load_jsonl(tmp_path, *args)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_dataset_error_is_a_value_error() -> None:
    assert issubclass(DatasetError, ValidationError)
    assert issubclass(DatasetError, ValueError)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    questions = lines(tmp_path / "questions.jsonl", *GOOD_QUESTIONS)
    with pytest.raises(DatasetError, match=r"nope\.jsonl: file not found; check the path"):
        ds.from_jsonl(tmp_path / "nope.jsonl", questions)
    corpus = lines(tmp_path / "corpus.jsonl", *GOOD_CORPUS)
    with pytest.raises(DatasetError, match=r"qrels\.tsv: file not found"):
        ds.from_jsonl(corpus, questions, tmp_path / "qrels.tsv")
    with pytest.raises(DatasetError, match="folder not found"):
        ds.from_beir(tmp_path / "missing")
    with pytest.raises(DatasetError, match="is a folder, not a file"):
        ds.from_jsonl(tmp_path, questions)


def test_malformed_jsonl_line_names_line_and_column(tmp_path: Path) -> None:
    message = error(tmp_path, [GOOD_CORPUS[0], "", '{"id": "d2" "text": "x"}'])
    assert message.startswith("corpus.jsonl line 3: not valid JSON (Expecting ',' delimiter at column 13)")
    assert "fix or remove the line" in message


def test_non_object_jsonl_line(tmp_path: Path) -> None:
    message = error(tmp_path, None, [GOOD_QUESTIONS[0], "[1, 2]"])
    assert message.startswith("questions.jsonl line 2: expected a JSON object, got list")


def test_missing_required_field(tmp_path: Path) -> None:
    message = error(tmp_path, [*GOOD_CORPUS, {"id": "d3", "body": "no text"}])
    assert message == "corpus.jsonl line 3: missing field 'text'; add the text as a string"
    assert error(tmp_path, [{"text": "no id"}]).startswith("corpus.jsonl line 1: missing field 'id' or '_id'")
    message = error(tmp_path, None, [{"id": "q1"}])
    assert message.startswith("questions.jsonl line 1: missing field 'text'")


def test_wrong_field_types(tmp_path: Path) -> None:
    assert error(tmp_path, [{"id": True, "text": "x"}]).startswith(
        "corpus.jsonl line 1: field 'id' must be a string or integer, got True"
    )
    assert error(tmp_path, [{"id": "d", "text": 3}]).startswith(
        "corpus.jsonl line 1: field 'text' must be a string, got int"
    )
    assert error(tmp_path, [{"id": " ", "text": "x"}]).startswith("corpus.jsonl line 1: field 'id' is empty")
    assert error(tmp_path, None, [{"id": "q", "text": "  "}]).startswith(
        "questions.jsonl line 1: field 'text' is empty"
    )
    assert error(tmp_path, None, [{"id": "q", "text": "?", "answers": [1]}]).startswith(
        "questions.jsonl line 1: field 'answers' must be a list of strings"
    )


def test_unpaired_surrogate_escape(tmp_path: Path) -> None:
    message = error(tmp_path, ['{"id": "d", "text": "bad \\ud800 half"}'])
    assert message.startswith("corpus.jsonl line 1: field 'text' holds an unpaired surrogate")


@pytest.mark.parametrize("which", ["corpus", "questions"])
def test_duplicate_ids_name_both_lines(tmp_path: Path, which: str) -> None:
    rows: list[object] = [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}, {"_id": "a", "text": "z"}]
    message = error(tmp_path, rows, None) if which == "corpus" else error(tmp_path, None, rows)
    what = "document" if which == "corpus" else "question"
    assert (
        message
        == f"{which}.jsonl line 3: duplicate {what} id 'a' (first on line 1); give every {what} its own id"
    )


def test_qrels_naming_unknown_doc_or_question(tmp_path: Path) -> None:
    message = error(
        tmp_path, None, None, {"question_id": "q1", "doc_id": "d1"}, {"question_id": "q1", "doc_id": "d9"}
    )
    assert message == "qrels.jsonl line 2: doc id 'd9' is not in corpus.jsonl; fix the id or add the document"
    message = error(tmp_path, None, None, {"question_id": "q7", "doc_id": "d1"})
    assert (
        message
        == "qrels.jsonl line 1: question id 'q7' is not in questions.jsonl; fix the id or add the question"
    )


def test_conflicting_duplicate_judgment(tmp_path: Path) -> None:
    message = error(
        tmp_path,
        None,
        None,
        {"question_id": "q1", "doc_id": "d1", "grade": 1},
        {"question_id": "q1", "doc_id": "d1", "grade": 2},
    )
    assert message.startswith("qrels.jsonl line 2: 'q1' -> 'd1' graded 2 here but 1 on line 1")


def test_empty_corpus_and_empty_questions(tmp_path: Path) -> None:
    assert error(tmp_path, ["", "  "]) == "corpus.jsonl: no documents found; add at least one corpus row"
    assert error(tmp_path, None, []).startswith("questions.jsonl: no questions found")
    corpus = tmp_path / "c.csv"
    corpus.write_text("id,title,text\n", encoding="utf-8")
    questions = tmp_path / "q.csv"
    questions.write_text("id,text\nq,?\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^c\.csv: no documents found"):
        ds.from_csv(corpus, questions)


def test_non_utf8_bytes_name_line_and_byte_offset(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b'{"id": "d1", "text": "ok"}\n{"id": "d2", "text": "caf\xe9"}\n')
    questions = lines(tmp_path / "questions.jsonl", *GOOD_QUESTIONS)
    with pytest.raises(DatasetError) as info:
        ds.from_jsonl(corpus, questions)
    assert str(info.value) == (
        "corpus.jsonl line 2: bytes are not valid UTF-8 (byte offset 52: 0xe9); re-save the file with UTF-8 encoding"
    )


def test_non_utf8_after_a_byte_order_mark_reports_the_file_offset(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.csv"
    corpus.write_bytes(b"\xef\xbb\xbfid,text\nd,\xff\n")
    questions = tmp_path / "questions.csv"
    questions.write_text("id,text\nq,?\n", encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"^corpus\.csv line 2: bytes are not valid UTF-8 \(byte offset 13: 0xff\)"
    ):
        ds.from_csv(corpus, questions)


@pytest.mark.parametrize("grade", ['"high"', "1.5", "true", "null", "[1]", "NaN", "1e400"])
def test_bad_grade_value_in_jsonl(tmp_path: Path, grade: str) -> None:
    row = '{"question_id": "q1", "doc_id": "d1", "grade": ' + grade + "}"
    if grade == "null":  # a null grade means "not given" and defaults to 1
        assert load_jsonl(tmp_path, None, None, row).judgments[0].grade == 1
        return
    message = error(tmp_path, None, None, row)
    assert message.startswith("qrels.jsonl line 1: grade must be an integer (e.g. 0, 1, 2), got ")
    assert message.endswith("; write the relevance grade as a whole number")


def test_bad_grade_value_in_tsv(tmp_path: Path) -> None:
    corpus = lines(tmp_path / "corpus.jsonl", *GOOD_CORPUS)
    questions = lines(tmp_path / "questions.jsonl", *GOOD_QUESTIONS)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\trelevant\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^qrels\.tsv line 3: grade must be an integer .*got 'relevant'"):
        ds.from_jsonl(corpus, questions, qrels)


def test_tsv_with_wrong_number_of_columns(tmp_path: Path) -> None:
    corpus = lines(tmp_path / "corpus.jsonl", *GOOD_CORPUS)
    questions = lines(tmp_path / "questions.jsonl", *GOOD_QUESTIONS)
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q1\td1\t1\nq1 d1 1 extra junk\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^qrels\.tsv line 2: expected 3 columns .*found 5"):
        ds.from_jsonl(corpus, questions, qrels)


def test_csv_missing_column_cell_count_and_quoting(tmp_path: Path) -> None:
    questions = tmp_path / "questions.csv"
    questions.write_text("id,text\nq,?\n", encoding="utf-8")
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("id,body\nd,x\n", encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"^corpus\.csv line 1: missing column 'text' \(header has: id, body\)"
    ):
        ds.from_csv(corpus, questions)
    corpus.write_text("id,text\nd1,x\nd2,x,y\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^corpus\.csv line 3: expected 2 cells \(id, text\), found 3"):
        ds.from_csv(corpus, questions)
    corpus.write_text('id,text\nd1,"open quote\n', encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^corpus\.csv line 2: not valid CSV"):
        ds.from_csv(corpus, questions)
    corpus.write_text("id,id\nd1,x\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^corpus\.csv line 1: header names column 'id' twice"):
        ds.from_csv(corpus, questions)


def test_csv_line_numbers_count_multi_line_cells(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.csv"
    corpus.write_text('id,text\nd1,"line one\nline two"\nd1,again\n', encoding="utf-8")
    questions = tmp_path / "questions.csv"
    questions.write_text("id,text\nq,?\n", encoding="utf-8")
    with pytest.raises(
        DatasetError, match=r"^corpus\.csv line 4: duplicate document id 'd1' \(first on line 2\)"
    ):
        ds.from_csv(corpus, questions)


def test_beir_with_no_judged_question(tmp_path: Path) -> None:
    root = tmp_path / "b"
    (root / "qrels").mkdir(parents=True)
    lines(root / "corpus.jsonl", *GOOD_CORPUS)
    lines(root / "queries.jsonl", *GOOD_QUESTIONS)
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"^queries\.jsonl: none of the 2 questions has a judgment"):
        ds.from_beir(root)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_fifo_is_refused_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "corpus.jsonl"
    os.mkfifo(fifo)
    questions = lines(tmp_path / "questions.jsonl", *GOOD_QUESTIONS)
    with pytest.raises(DatasetError, match="not a regular file"):
        ds.from_jsonl(fifo, questions)


def test_unreadable_file(tmp_path: Path) -> None:
    long_name = tmp_path / ("x" * 300 + ".jsonl")
    with pytest.raises(
        DatasetError, match=r"x\.jsonl: cannot be read \(.+\); check the path and its permissions"
    ):
        ds.from_jsonl(long_name, long_name)
