"""Row readers for JSONL, CSV and TSV files: each row comes with the file and line it was read from."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtune.exceptions import DatasetError

__all__ = ["Row", "fail", "read_csv", "read_jsonl", "read_text", "read_tsv"]


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a dataset file: its values by column/field name and where it came from."""

    path: Path
    line: int
    values: Mapping[str, Any]

    @property
    def where(self) -> str:
        """``"corpus.jsonl line 17"``: the prefix every error about this row starts with."""
        return f"{self.path.name} line {self.line}"


def fail(where: str, problem: str, fix: str) -> DatasetError:
    """Build the one-line error format used everywhere: ``"<file> line N: <problem>; <fix>"``."""
    return DatasetError(f"{where}: {problem}; {fix}")


def read_text(path: Path) -> str:
    """Read ``path`` as UTF-8 (a leading byte-order mark is dropped); errors name file, line and byte."""
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            # A FIFO or device would block or stream forever.
            raise DatasetError(f"{path}: not a regular file; pass the path of a file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a folder, not a file; pass the path of the file") from None
    except OSError as e:
        raise DatasetError(
            f"{path}: cannot be read ({e.strerror or e}); check the path and its permissions"
        ) from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        # utf-8-sig reports offsets after the BOM it skipped.
        start = e.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        bad = data[start : start + 1].hex()
        raise fail(
            f"{path.name} line {line}",
            f"bytes are not valid UTF-8 (byte offset {start}: 0x{bad})",
            "re-save the file with UTF-8 encoding",
        ) from None


def read_jsonl(path: Path) -> Iterator[Row]:
    """Yield one row per non-blank line; each line must hold one JSON object."""
    for number, line in _lines(read_text(path)):
        where = f"{path.name} line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise fail(
                where, f"not valid JSON ({e.msg} at column {e.colno})", "fix or remove the line"
            ) from None
        except (ValueError, RecursionError) as e:
            # Integers too long to convert and absurdly deep nesting land here.
            raise fail(where, f"not valid JSON ({type(e).__name__})", "fix or remove the line") from None
        if not isinstance(value, dict):
            raise fail(
                where,
                f"expected a JSON object, got {type(value).__name__}",
                'write one object per line, e.g. {"id": "...", "text": "..."}',
            )
        yield Row(path, number, value)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # Not str.splitlines(): JSON strings may hold a raw U+2028 or form feed, which it would split on.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line.removesuffix("\r")


@contextmanager
def _csv_field_limit() -> Iterator[None]:
    # Documents are often longer than csv's default 128 KiB field limit; the limit is global, so restore it.
    previous = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_csv(path: Path, *, required: Sequence[Sequence[str]] = (), delimiter: str = ",") -> Iterator[Row]:
    """Yield one row per record of a CSV file whose first line is a header naming the columns.

    ``required`` lists the columns the header must have, each as its accepted spellings
    (``[("id", "_id"), ("text",)]``).
    """
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    with _csv_field_limit():
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise fail(f"{path.name} line {start}", f"not valid CSV ({e})", "fix the quoting") from None
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                _check_header(path, start, header, required)
                continue
            if len(cells) != len(header):
                raise fail(
                    f"{path.name} line {start}",
                    f"expected {len(header)} cells ({', '.join(header)}), found {len(cells)}",
                    "quote cells that contain the delimiter or add the missing cells",
                )
            yield Row(path, start, dict(zip(header, cells, strict=True)))


def _check_header(path: Path, line: int, header: list[str], required: Sequence[Sequence[str]]) -> None:
    where = f"{path.name} line {line}"
    seen: set[str] = set()
    for name in header:
        if not name:
            raise fail(where, "header has an empty column name", "name every column")
        if name in seen:
            raise fail(where, f"header names column {name!r} twice", "rename one of them")
        seen.add(name)
    for names in required:
        if not any(name in seen for name in names):
            spelled = " or ".join(repr(n) for n in names)
            raise fail(
                where, f"missing column {spelled} (header has: {', '.join(header)})", "add or rename it"
            )


_QREL_HEADERS = {"query-id", "query_id", "qid", "question_id", "question-id"}


def read_tsv(path: Path) -> Iterator[Row]:
    """Yield qrels rows from a tab- or space-separated file.

    Accepted line shapes: ``question doc grade`` (BEIR, with or without the header
    ``query-id corpus-id score``), ``question iteration doc grade`` (TREC) and ``question doc``
    (grade 1). Values are keyed ``question_id``, ``doc_id`` and ``grade``.
    """
    first = True
    for number, line in _lines(read_text(path)):
        cells = line.split("\t") if "\t" in line else line.split()
        cells = [cell.strip() for cell in cells]
        if first and cells[0].lower() in _QREL_HEADERS:
            first = False
            continue
        first = False
        where = f"{path.name} line {number}"
        if len(cells) == 2:
            values: dict[str, Any] = {"question_id": cells[0], "doc_id": cells[1]}
        elif len(cells) == 3:
            values = {"question_id": cells[0], "doc_id": cells[1], "grade": cells[2]}
        elif len(cells) == 4:
            values = {"question_id": cells[0], "doc_id": cells[2], "grade": cells[3]}
        else:
            raise fail(
                where,
                f"expected 3 columns (query-id, corpus-id, score), found {len(cells)}",
                "separate the columns with tabs",
            )
        yield Row(path, number, values)
