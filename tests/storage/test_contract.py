"""The storage contract on every backend: in-memory, a DuckDB file and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtune.storage import InMemoryStorage, SQLStorage
from ragtune.storage.base import Storage
from ragtune.testing.storage_contract import StorageContract


class TestInMemoryStorage(StorageContract):
    def make_storage(self) -> Storage:
        return InMemoryStorage()


class TestDuckDBStorage(StorageContract):
    @pytest.fixture(autouse=True)
    def _file(self, tmp_path: Path) -> None:
        self.url = f"duckdb:///{tmp_path}/contract.duckdb"

    def make_storage(self) -> Storage:
        return SQLStorage(self.url)

    def reopen_storage(self, storage: Storage) -> Storage:
        storage.close()  # the next open reads the file instead of this process's memory
        return SQLStorage(self.url)


@pytest.mark.postgres
class TestPostgresStorage(StorageContract):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_storage(self) -> Storage:
        return SQLStorage(self.url)

    def reopen_storage(self, storage: Storage) -> Storage:
        return SQLStorage(self.url)  # a second worker's view: nothing shared in memory
