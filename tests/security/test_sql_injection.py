"""Names and attributes full of quotes, SQL metacharacters and unicode round-trip exactly; no SQL runs.

Study names, attribute keys and values, param names, categorical choices, fail reasons and enqueued
params go through DuckDB and PostgreSQL and come back unchanged after reopening the storage; the
tables are all still there and a sentinel study is untouched. A static check keeps SQL text in the
package built from identifiers only, with values always bound as parameters.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ragtune as rt
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import RagtuneError
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage

ROOT = Path(__file__).resolve().parents[2]

NASTY = [
    "'; DROP TABLE trials; --",
    "Robert'); DROP TABLE studies;--",
    '" OR ""="',
    "x' OR '1'='1",
    "\\'; SELECT pg_sleep(10); --",
    "$$; DROP TABLE trials; $$",
    "$1 ? %s %(x)s {0} :name",
    "études 日本語 🚀 ﷽ Ω",
    "tab\tnew\nline\rend",
    "back\\slash\\\\ and \\x41",
    "E'\\x27' || chr(39)",
    "/* open comment",
    "\u2028\u2029 zero\u200bwidth\ufeff",
    ";",
    "'",
    '"',
    "a" * 200,
]


def opener(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], SQLStorage]:
    if backend == "duckdb":
        url = f"duckdb:///{tmp_path / 'nasty.duckdb'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")  # a fresh schema, dropped afterwards
    return lambda: SQLStorage(url)


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], SQLStorage]:
    return opener(request.param, request, tmp_path)


UNHOLDABLE = ["nul\x00byte", "x" * 600, "\ud800 lone surrogate"]


def snapshot(study: rt.Study) -> dict[str, Any]:
    return {
        "name": study.study_name,
        "user_attrs": study.user_attrs,
        "trials": [
            (
                t.number,
                t.state,
                t.values,
                dict(t.params),
                dict(t.user_attrs),
                t.fail_reason,
                {k: v for k, v in t.system_attrs.items()},
                {k: d.to_json() for k, d in t.distributions.items()},
            )
            for t in study.trials
        ],
    }


def write_everything(storage: SQLStorage, text: str) -> dict[str, Any]:
    study = rt.create_study(storage=storage, study_name=text, sampler=RandomSampler(seed=0))
    study.set_user_attr(text, {text: [text, 1, None]})
    study.set_user_attr("plain", text)

    def objective(trial: rt.Trial) -> float:
        choice = trial.suggest_categorical("kind", [text, "plain"])
        x = trial.suggest_float(text, 0.0, 1.0)
        trial.set_user_attr(text, text)
        trial.set_user_attr("choice", choice)
        trial.report(x, 0)
        return x

    study.optimize(objective, n_trials=2)
    failing = study.ask()
    study.tell(failing, state=TrialState.FAIL, fail_reason=text)
    study.enqueue_trial({text: 0.5, "kind": text}, user_attrs={text: text})
    return snapshot(study)


def test_metacharacters_round_trip_and_nothing_is_executed(open_storage: Callable[[], SQLStorage]) -> None:
    storage = open_storage()
    sentinel = rt.create_study(storage=storage, study_name="sentinel", sampler=RandomSampler(seed=1))
    sentinel.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    before = snapshot(sentinel)
    written = {text: write_everything(storage, text) for text in NASTY}
    storage.close()

    storage = open_storage()  # a new connection (DuckDB: the file reopened) reads it all back
    names = {s.study_name for s in storage.get_all_studies()}
    assert names == {"sentinel", *NASTY}
    for text, expected in written.items():
        study = rt.load_study(study_name=text, storage=storage)
        got = snapshot(study)
        assert got == expected, text
        assert study.trials[0].user_attrs[text] == text and text in study.trials[0].params
        assert study.user_attrs[text] == {text: [text, 1, None]}
        assert study.trials[2].fail_reason == text
        assert study.trials[3].state is TrialState.WAITING
        assert study.trials[3].system_attrs["fixed_params"] == {text: 0.5, "kind": text}
    assert snapshot(rt.load_study(study_name="sentinel", storage=storage)) == before

    # Looking up names that do not exist is just a miss, and deleting by name deletes only that study.
    for text in NASTY:
        with pytest.raises(KeyError):
            rt.load_study(study_name=text + "' OR '1'='1", storage=storage)
    rt.delete_study(study_name=NASTY[0], storage=storage)
    assert {s.study_name for s in storage.get_all_studies()} == {"sentinel", *NASTY[1:]}
    storage.close()


@pytest.mark.parametrize(
    ("backend", "text"),
    [
        pytest.param(
            backend,
            text,
            id=f"{backend}-{ascii(text)[1:12]}",
            marks=[pytest.mark.postgres] * (backend == "postgresql"),
        )
        for backend in ("duckdb", "postgresql")
        for text in UNHOLDABLE
    ],
)
def test_names_a_database_cannot_hold_fail_cleanly(
    backend: str, text: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Either the value round-trips, or a one-line ragtune error says why; the storage keeps working."""
    storage = opener(backend, request, tmp_path)()
    try:
        study = rt.create_study(storage=storage, study_name=f"{text}-{uuid.uuid4().hex[:6]}")
    except RagtuneError as e:
        assert "\n" not in str(e)
    else:
        assert rt.load_study(study_name=study.study_name, storage=storage).study_name == study.study_name
    plain = rt.create_study(storage=storage, study_name="after", sampler=RandomSampler(seed=0))
    try:
        plain.set_user_attr(text, text)
    except RagtuneError as e:
        assert "\n" not in str(e)
    else:
        assert plain.user_attrs[text] == text
    plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(plain.trials) == 2
    storage.close()


def test_parquet_export_to_a_path_with_quotes(tmp_path: Path) -> None:
    """`ragtune export --format parquet` builds a COPY statement around the path; quotes stay in the name."""
    from ragtune.cli.app import app

    url = f"duckdb:///{tmp_path / 'runs.duckdb'}"
    storage = SQLStorage(url)
    study = rt.create_study(storage=storage, study_name="s", sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    folder = tmp_path / "it's here"
    folder.mkdir()
    target = folder / "out'); DROP TABLE trials; --.parquet"
    result = CliRunner().invoke(
        app, ["export", "s", "--storage", url, "--format", "parquet", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output + result.stderr
    import duckdb

    assert target.is_file()
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(target)]).fetchone() == (3,)
    assert [p.name for p in folder.iterdir()] == [target.name]
    assert len(rt.load_study(study_name="s", storage=storage).trials) == 3
    storage.close()


# -- static: SQL text is built from identifiers only --------------------------------------------

_SQL_START = (
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE ",
    "COPY ",
    "CREATE ",
    "DROP ",
    "ALTER ",
    "WITH ",
    "SET ",
)
#: f-strings that build SQL, with what they interpolate; each was read and holds identifiers (quoted by the
#: dialect), "?" placeholders, or, for COPY, a file path with its quotes doubled.
REVIEWED = {
    ("ragtune/storage/sql/duckdb_file.py", "_insert_sql"): "quoted table/column names and ? placeholders",
    (
        "ragtune/storage/sql/duckdb_file.py",
        "delete_where_trial",
    ): "quoted table and column names, ? placeholders",
    ("ragtune/storage/sql/duckdb_file.py", "update_trial"): "quoted column names, ? placeholders",
    ("ragtune/storage/sql/duckdb_file.py", "replay"): "? placeholders only",
    (
        "ragtune/storage/sql/duckdb_file.py",
        "_vectors",
    ): "schema table/column names (module constants), $sid bound",
    ("ragtune/storage/sql/duckdb_file.py", "_attrs"): "a schema table name (module constant), $sid bound",
    (
        "ragtune/storage/sql/duckdb_watch.py",
        "publish",
    ): "the snapshot path and the database name, quoted (ATTACH and COPY FROM DATABASE take no parameter)",
    ("ragtune/cli/export.py", "_write"): "the output path, quotes doubled (DuckDB's COPY takes no parameter)",
}


def _sql_fstrings() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "ragtune").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.JoinedStr) and any(
                    isinstance(v, ast.FormattedValue) for v in node.values
                ):
                    first = node.values[0]
                    head = (
                        first.value
                        if isinstance(first, ast.Constant) and isinstance(first.value, str)
                        else ""
                    )
                    if head.lstrip().startswith(_SQL_START):  # SQL keywords are upper case in this code base
                        found.add((str(path.relative_to(ROOT)), func.name))
    return found


def test_sql_built_with_fstrings_is_reviewed() -> None:
    found = _sql_fstrings()
    assert found, "the scan found no SQL at all: it is broken"
    new = found - set(REVIEWED)
    assert not new, f"SQL built with f-strings outside the reviewed places (bind values as parameters): {new}"
