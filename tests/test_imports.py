"""Importing ragtune stays light and never touches the root logger."""

from __future__ import annotations

import subprocess
import sys


def test_import_ragtune_does_not_import_heavy_dependencies():
    code = (
        "import sys, logging; root = list(logging.getLogger().handlers); import ragtune, ragtune.samplers, "
        "ragtune.pruners, ragtune.storage, ragtune.pipelines, ragtune.objectives, ragtune.datasets; "
        "heavy = [m for m in ('pandas', 'sqlalchemy', 'duckdb', 'textual', 'torch', 'psycopg') if m in sys.modules]; "
        "assert not heavy, heavy; assert logging.getLogger().handlers == root; "
        "assert any(type(h).__name__ == '_DefaultHandler' for h in logging.getLogger('ragtune').handlers)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
