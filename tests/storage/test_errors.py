"""Bad input gives one line that says what is wrong and how to fix it, and never shows a password."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import ragtune
from ragtune.exceptions import (
    MissingDependencyError,
    StorageConnectionError,
    StorageError,
    StorageLockedError,
    StorageURLError,
    StudyDirectionsMismatch,
    StudyNotFound,
    ValidationError,
)
from ragtune.storage import SQLStorage, get_storage
from ragtune.storage.sql import SCHEMA_VERSION, migrations

sys.path.insert(0, str(Path(__file__).parent))
from storage_procs import Worker, unique

SECRET = "S3cr3t-pw"


def _one_line(e: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(e.value)
    assert "\n" not in text and SECRET not in text, text
    return text


def test_unknown_url_scheme() -> None:
    with pytest.raises(StorageURLError) as e:
        get_storage(f"mysql://root:{SECRET}@db/x")
    assert "unknown storage URL scheme 'mysql'" in _one_line(e) and "postgresql+psycopg://" in str(e.value)


def test_other_postgres_driver_is_named() -> None:
    with pytest.raises(StorageURLError) as e:
        SQLStorage(f"postgresql+asyncpg://u:{SECRET}@127.0.0.1/db")
    assert "postgresql+psycopg://" in _one_line(e)


def test_unreachable_server() -> None:
    start = time.monotonic()
    with pytest.raises(StorageConnectionError) as e:
        SQLStorage(f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test")
    assert _one_line(e).startswith("cannot reach PostgreSQL at 127.0.0.1:1 (")
    assert "start the server or fix host and port" in str(e.value)
    assert time.monotonic() - start < 30


def _variant(postgres_url: str, **changes: str) -> tuple[str, str]:
    """The test server's URL with ``changes``, and the password it carries (SECRET if it had none)."""
    given = sa.make_url(postgres_url)
    password = str(given.password or SECRET)
    url = given.set(password=password, **changes).render_as_string(hide_password=False)
    return url, password


def test_missing_database(postgres_url: str) -> None:
    url, password = _variant(postgres_url, database="ragtune_no_such_db")
    with pytest.raises(StorageConnectionError) as e:
        SQLStorage(url)
    assert 'database "ragtune_no_such_db" does not exist' in _one_line(e)
    assert "createdb ragtune_no_such_db" in str(e.value) and password not in str(e.value)


def test_missing_role(postgres_url: str) -> None:
    url, password = _variant(postgres_url, username="ragtune_no_such_role")
    with pytest.raises(StorageConnectionError) as e:
        SQLStorage(url)
    text = _one_line(e)
    # A server that checks passwords does not say whether the role exists.
    assert 'role "ragtune_no_such_role" does not exist' in text or "rejected the password" in text
    assert password not in text


def test_wrong_password(postgres_url: str) -> None:
    """Needs a server that checks passwords; a trust-auth server (a CI container) cannot show it."""
    admin = sa.create_engine(postgres_url)
    role = "ragtune_pw_check"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'right-one'"))
    url = sa.make_url(postgres_url).set(username=role, password=SECRET).render_as_string(hide_password=False)
    probe = sa.create_engine(url)
    try:
        try:
            probe.connect().close()
        except sa.exc.OperationalError:
            pass
        else:
            pytest.skip("this server trusts local connections (pg_hba trust), so it accepts any password")
        with pytest.raises(StorageConnectionError) as e:
            SQLStorage(url)
        assert _one_line(e).startswith(f'PostgreSQL rejected the password for user "{role}"')
    finally:
        probe.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_missing_postgres_extra() -> None:
    worker = Worker("open", f"postgresql+psycopg://u:{SECRET}@127.0.0.1:5432/db", "-", "--no-psycopg")
    line = worker.finish()[-1]
    assert line.startswith("MissingDependencyError: PostgreSQL storage needs psycopg 3")
    assert "pip install 'ragtune[postgres]'" in line and SECRET not in line
    assert issubclass(MissingDependencyError, ImportError)


def test_unknown_study_name_lists_existing(tmp_path: Path) -> None:
    storage = SQLStorage(f"duckdb:///{tmp_path}/s.duckdb")
    ragtune.create_study(storage=storage, study_name="retrieval-v1")
    with pytest.raises(StudyNotFound) as e:
        ragtune.load_study(study_name="retrieval-v2", storage=storage)
    assert _one_line(e) == "no study named 'retrieval-v2'; existing: ['retrieval-v1']"
    storage.close()


def test_study_with_other_directions(tmp_path: Path) -> None:
    storage = SQLStorage(f"duckdb:///{tmp_path}/s.duckdb")
    ragtune.create_study(storage=storage, study_name="s", directions=["maximize", "minimize"])
    with pytest.raises(StudyDirectionsMismatch) as e:
        ragtune.create_study(storage=storage, study_name="s", direction="maximize", load_if_exists=True)
    assert "exists with directions ['maximize', 'minimize']" in _one_line(e)
    storage.close()


def test_duckdb_file_held_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = Worker("hold", f"duckdb:///{path}", "-")
    try:
        holder.wait_for("READY")
        with pytest.raises(StorageLockedError) as e:
            SQLStorage(f"duckdb:///{path}")
    finally:
        holder.stop()
    text = _one_line(e)
    assert text.startswith(f"DuckDB file {path} is open in another process (PID {holder.proc.pid})")
    assert "DuckDB allows one writer process" in text and "use PostgreSQL" in text
    SQLStorage(f"duckdb:///{path}").close()  # free again once the other process is gone


def test_duckdb_paths_that_cannot_work(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as e:
        SQLStorage(f"duckdb:///{tmp_path}/missing/dir/s.duckdb")
    assert "the folder" in _one_line(e) and "does not exist" in str(e.value)
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database" * 100)
    with pytest.raises(StorageError) as e:
        SQLStorage(f"duckdb:///{junk}")
    assert "is not a DuckDB database file" in _one_line(e)


def test_bad_options() -> None:
    with pytest.raises(ValidationError, match="heartbeat_interval is for PostgreSQL"):
        SQLStorage("duckdb:///:memory:", heartbeat_interval=5.0)
    with pytest.raises(ValidationError, match="heartbeat_interval must be > 0"):
        SQLStorage(f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/db", heartbeat_interval=0)


def test_attr_that_json_cannot_hold(tmp_path: Path) -> None:
    storage = SQLStorage(f"duckdb:///{tmp_path}/s.duckdb")
    study = ragtune.create_study(storage=storage)
    trial = study.ask()
    with pytest.raises(ValidationError, match="trial user attr 'model' must be JSON-serialisable"):
        trial.set_user_attr("model", object())
    storage.close()


def test_file_from_a_newer_ragtune(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/new.duckdb"
    SQLStorage(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(StorageError) as e:
        SQLStorage(url)
    assert f"has schema version 99, but this ragtune reads versions up to {SCHEMA_VERSION}" in _one_line(e)
    assert "pip install -U ragtune" in str(e.value)


def test_migrations_run_in_order_once(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/old.duckdb"
    SQLStorage(url).close()

    def add_column(conn: sa.Connection) -> None:
        conn.execute(sa.text("ALTER TABLE studies ADD x INT"))

    new = SCHEMA_VERSION + 1
    steps = [*migrations.MIGRATIONS, migrations.Migration(new, "add a column", add_column)]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        assert migrations.upgrade(conn, where="test", migrations=steps, target=new) == SCHEMA_VERSION
        assert migrations.upgrade(conn, where="test", migrations=steps, target=new) == new  # nothing left
        assert migrations.read_version(conn) == new
        conn.execute(sa.text("SELECT x FROM studies"))
    engine.dispose()


def test_password_is_masked_everywhere(postgres_url: str) -> None:
    given = sa.make_url(postgres_url)
    password = given.password or SECRET  # a trust-auth server accepts any password
    storage = SQLStorage(given.set(password=password).render_as_string(hide_password=False))
    study = ragtune.create_study(storage=storage, study_name=unique("masked"))
    for text in (repr(storage), storage.describe(), repr(study)):
        assert str(password) not in text
    storage.close()
