"""``ragtune tui``: argument handling and one-line errors before any screen opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tui_data import make_rag_study
from typer.testing import CliRunner

from ragtune.cli.app import app
from ragtune.storage import get_storage
from ragtune.tui import RagtuneApp
from ragtune.tui.study_reader import duckdb_file

runner = CliRunner()


def test_help_lists_the_options() -> None:
    result = runner.invoke(app, ["tui", "--help"])
    assert result.exit_code == 0
    assert "--storage" in result.output and "--refresh" in result.output and "STUDY" in result.output.upper()


def test_default_storage_missing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAGTUNE_STORAGE", raising=False)
    result = runner.invoke(app, ["tui"])
    assert result.exit_code == 1
    assert f"no DuckDB file at {tmp_path.resolve() / 'ragtune.duckdb'}" in result.output
    assert "ragtune optimize" in result.output
    assert not (tmp_path / "ragtune.duckdb").exists()  # viewing never creates an empty database


def test_unknown_study_and_masked_url(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'runs.duckdb'}"
    storage = get_storage(url)
    make_rag_study(storage, n=3)
    storage.close()
    result = runner.invoke(app, ["tui", "--storage", url, "nope"])
    assert result.exit_code == 1 and "nope" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["tui", "--storage", "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"])
    assert result.exit_code == 1 and "hunter2" not in result.output


def test_runs_the_app_on_the_named_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"duckdb:///{tmp_path / 'runs.duckdb'}"
    storage = get_storage(url)
    make_rag_study(storage, n=3)
    storage.close()
    seen: dict[str, Any] = {}

    def fake_run(self: RagtuneApp, **_: Any) -> None:
        seen.update(study=self.study_name, refresh=self.refresh_interval, watch=self.watch_file)

    monkeypatch.setattr(RagtuneApp, "run", fake_run)
    result = runner.invoke(app, ["tui", "--storage", url, "--refresh", "0", "rag-demo"])
    assert result.exit_code == 0, result.output
    assert seen == {"study": "rag-demo", "refresh": None, "watch": tmp_path / "runs.duckdb"}


def test_duckdb_file() -> None:
    assert duckdb_file("duckdb:///runs.duckdb") == Path("runs.duckdb")
    assert duckdb_file("duckdb:////abs/x.duckdb?threads=2") == Path("/abs/x.duckdb")
    assert duckdb_file("duckdb:///:memory:") is None
    assert duckdb_file("postgresql+psycopg://h/db") is None
