"""Loaders that read an eval set from JSONL, CSV or BEIR files, and ``load`` which also knows built-ins."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from ragtune.datasets import python_docs
from ragtune.datasets.records import CORPUS_COLUMNS, QRELS_COLUMNS, QUESTION_COLUMNS, assemble
from ragtune.datasets.rows import Row, read_csv, read_jsonl, read_tsv
from ragtune.datasets.types import EvalSet
from ragtune.exceptions import DatasetError

__all__ = ["BUILTINS", "from_beir", "from_csv", "from_files", "from_jsonl", "load"]

StrPath = str | os.PathLike[str]
_Format = Literal["jsonl", "csv", "tsv"]

BUILTINS: dict[str, Callable[[], EvalSet]] = {python_docs.NAME: python_docs.load_python_docs}
"""Built-in eval sets by name; each loader is cached, so repeated loads return the same object."""

_QRELS_TSV_SUFFIXES = {".tsv", ".txt", ".qrels", ".trec"}


def from_jsonl(
    corpus_path: StrPath,
    questions_path: StrPath,
    qrels_path: StrPath | None = None,
    *,
    name: str | None = None,
    keep_unjudged: bool = True,
) -> EvalSet:
    """Read an eval set from JSONL files.

    Corpus rows are ``{"id"|"_id", "title"?, "text"}``; question rows are
    ``{"id"|"_id", "text", "answers"?: [...], "tags"?: [...]}``. Qrels, when given, are JSONL rows
    ``{"question_id", "doc_id", "grade"?}`` or, for a ``.tsv``/``.txt``/``.qrels``/``.trec`` file,
    tab-separated ``question doc grade`` lines. Without qrels every question is kept (and unjudged).

    Raises:
        DatasetError: a file is missing or a row is malformed; the message names file and line.
    """
    return _load(
        (Path(corpus_path), "jsonl"),
        (Path(questions_path), "jsonl"),
        _qrels(qrels_path, otherwise="jsonl"),
        name=name,
        keep_unjudged=keep_unjudged,
    )


def from_csv(
    corpus_csv: StrPath,
    questions_csv: StrPath,
    qrels_csv: StrPath | None = None,
    *,
    name: str | None = None,
    keep_unjudged: bool = True,
) -> EvalSet:
    """Read an eval set from CSV files whose first line names the columns.

    Corpus columns: ``id`` (or ``_id``), ``text``, optional ``title``. Question columns: ``id``,
    ``text``, optional ``answers`` and ``tags`` (one string per cell, or a JSON list such as
    ``["3", "three"]``). Qrels columns: ``question_id``, ``doc_id``, optional ``grade``; a ``.tsv``
    qrels file is read as in :func:`from_jsonl`.

    Raises:
        DatasetError: a file is missing or a row is malformed; the message names file and line.
    """
    return _load(
        (Path(corpus_csv), "csv"),
        (Path(questions_csv), "csv"),
        _qrels(qrels_csv, otherwise="csv"),
        name=name,
        keep_unjudged=keep_unjudged,
    )


def from_beir(
    folder: StrPath, split: str = "test", *, keep_unjudged: bool = False, name: str | None = None
) -> EvalSet:
    """Read a folder in the BEIR layout: ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/{split}.tsv``.

    Only questions with at least one judgment in the split are kept unless ``keep_unjudged=True``
    (BEIR's queries file holds the queries of every split).

    Raises:
        DatasetError: a file is missing or a row is malformed; the message names file and line.
    """
    root = _folder(folder)
    qrels = root / "qrels" / f"{split}.tsv"
    if not qrels.is_file():
        splits = ", ".join(sorted(p.stem for p in (root / "qrels").glob("*.tsv"))) or "none"
        raise DatasetError(f"{qrels}: file not found (splits here: {splits}); pass split= one of them")
    return _load(
        (root / "corpus.jsonl", "jsonl"),
        (root / "queries.jsonl", "jsonl"),
        (qrels, "tsv"),
        name=name or root.name,
        keep_unjudged=keep_unjudged,
    )


def from_files(path: StrPath, *, split: str | None = None, name: str | None = None) -> EvalSet:
    """Read an eval set from a folder, detecting its layout.

    A BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/*.tsv``) is read with
    :func:`from_beir` (``split`` defaults to ``test``, or to the only split there is). Otherwise the
    folder must hold ``corpus.jsonl|csv`` and ``questions.jsonl|csv`` (or ``queries.*``), and may hold
    ``qrels.jsonl|tsv|csv``; formats may be mixed.

    Raises:
        DatasetError: no known layout, an ambiguous one, or a malformed file.
    """
    root = _folder(path)
    if (root / "corpus.jsonl").is_file() and (root / "queries.jsonl").is_file() and (root / "qrels").is_dir():
        return from_beir(root, split or _only_split(root), name=name)
    corpus = _required(root, ["corpus.jsonl", "corpus.csv"])
    questions = _required(root, ["questions.jsonl", "questions.csv", "queries.jsonl", "queries.csv"])
    qrels = _optional(root, ["qrels.jsonl", "qrels.tsv", "qrels.csv"])
    return _load(
        (corpus, _by_suffix(corpus)),
        (questions, _by_suffix(questions)),
        None if qrels is None else (qrels, _by_suffix(qrels)),
        name=name or root.name,
        keep_unjudged=True,
    )


def load(name_or_path: StrPath) -> EvalSet:
    """Load a built-in eval set by name (``"python-docs"``) or read a folder with :func:`from_files`.

    Raises:
        DatasetError: neither a built-in name nor an existing path.
    """
    if isinstance(name_or_path, str) and name_or_path in BUILTINS:
        return BUILTINS[name_or_path]()
    path = Path(name_or_path)
    if not path.exists():
        names = ", ".join(sorted(BUILTINS))
        raise DatasetError(
            f"unknown dataset {str(name_or_path)!r}: not a built-in name ({names}) and no such path; "
            "pass one of the names or the path of a dataset folder"
        )
    return from_files(path)


def _load(
    corpus: tuple[Path, _Format],
    questions: tuple[Path, _Format],
    qrels: tuple[Path, _Format] | None,
    *,
    name: str | None,
    keep_unjudged: bool,
) -> EvalSet:
    return assemble(
        name or corpus[0].resolve().parent.name or corpus[0].stem,
        _rows(*corpus, CORPUS_COLUMNS),
        _rows(*questions, QUESTION_COLUMNS),
        None if qrels is None else _rows(*qrels, QRELS_COLUMNS),
        corpus_path=corpus[0],
        questions_path=questions[0],
        keep_unjudged=keep_unjudged,
    )


def _rows(path: Path, fmt: _Format, required: Sequence[Sequence[str]]) -> Iterator[Row]:
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "csv":
        return read_csv(path, required=required)
    return read_tsv(path)


def _qrels(path: StrPath | None, *, otherwise: _Format) -> tuple[Path, _Format] | None:
    if path is None:
        return None
    p = Path(path)
    return (p, "tsv" if p.suffix.lower() in _QRELS_TSV_SUFFIXES else otherwise)


def _by_suffix(path: Path) -> _Format:
    suffix = path.suffix.lower().lstrip(".")
    return "csv" if suffix == "csv" else "tsv" if suffix == "tsv" else "jsonl"


def _folder(path: StrPath) -> Path:
    root = Path(path)
    if not root.exists():
        raise DatasetError(f"{root}: folder not found; check the path")
    if not root.is_dir():
        raise DatasetError(
            f"{root}: is a file, not a folder; pass its folder, or use from_jsonl / from_csv for single files"
        )
    return root


def _only_split(root: Path) -> str:
    splits = sorted(p.stem for p in (root / "qrels").glob("*.tsv"))
    if "test" in splits or not splits:
        return "test"
    if len(splits) == 1:
        return splits[0]
    raise DatasetError(
        f"{root / 'qrels'}: several splits and no 'test' ({', '.join(splits)}); pass split= one of them"
    )


def _optional(root: Path, names: list[str]) -> Path | None:
    found = [root / n for n in names if (root / n).is_file()]
    if len(found) > 1:
        raise DatasetError(
            f"{root}: ambiguous layout, found {', '.join(p.name for p in found)}; keep only one of them"
        )
    return found[0] if found else None


def _required(root: Path, names: list[str]) -> Path:
    found = _optional(root, names)
    if found is None:
        raise DatasetError(
            f"{root}: no eval set found, expected {' or '.join(names)}; "
            "add them, or a BEIR layout (corpus.jsonl, queries.jsonl, qrels/test.tsv)"
        )
    return found
