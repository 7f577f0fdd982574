"""`--executor ray` mistakes: one clear line each, exit 1, nothing created. No Ray head needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.distributed import RayExecutor, TrialResources
from ragtune.exceptions import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "python_docs_rag.py"


def run_cli(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def optimize_code(*args: str, block_ray: bool = False) -> str:
    argv = ["ragtune", "optimize", str(EXAMPLE), "--executor", "ray", "-n", "2", *args]
    block = "sys.modules['ray'] = None; " if block_ray else ""
    return f"import sys; {block}sys.argv = {argv!r}; from ragtune.cli.app import main; main()"


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


def test_duckdb_storage_is_refused_before_anything_is_created(tmp_path):
    db = tmp_path / "runs.duckdb"
    line = one_error_line(run_cli(optimize_code("--storage", f"duckdb:///{db}"), tmp_path))
    assert "--executor ray needs PostgreSQL storage" in line and "postgresql+psycopg://" in line
    assert str(db) in line
    assert not db.exists()


def test_the_python_api_refuses_duckdb_and_memory_storage_too(tmp_path):
    from ragtune.tuner import Tuner

    for storage in (f"duckdb:///{tmp_path / 'x.duckdb'}", None):
        with pytest.raises(ConfigError, match="needs PostgreSQL storage"):
            Tuner(lambda t: None, "python-docs", storage=storage, executor="ray")
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.postgres
def test_unreachable_ray_address_is_one_line_and_creates_no_study(tmp_path, postgres_schema_url):
    import socket

    import ragtune as rt

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = optimize_code("--storage", postgres_schema_url, "--ray-address", f"127.0.0.1:{port}")
    line = one_error_line(run_cli(code, tmp_path))
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in line and "ray start --head" in line
    assert rt.storage.get_storage(postgres_schema_url).get_all_studies() == []


def test_ray_not_installed_is_one_line_with_the_install_hint(tmp_path):
    pg = "postgresql+psycopg://user@127.0.0.1:1/db"  # never reached: the ray check comes first
    line = one_error_line(run_cli(optimize_code("--storage", pg, block_ray=True), tmp_path))
    assert "needs the ray package, which is not installed" in line
    assert "pip install 'ragtune[ray]'" in line


def test_importing_ragtune_and_its_executor_does_not_import_ray():
    code = (
        "import sys, ragtune, ragtune.distributed, ragtune.tuner, ragtune.cli.app; "
        "assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_trial_resources_from_a_pipeline_file_are_checked():
    r = TrialResources.parse({"cpus": 2, "gpus": 0.5, "memory_mb": 512, "big_disk": 1})
    assert r.ray_options() == {
        "num_cpus": 2.0,
        "num_gpus": 0.5,
        "memory": 512 * 1024 * 1024,
        "resources": {"big_disk": 1.0},
    }
    with pytest.raises(ConfigError, match=r"trial_resources\['cpus'\] must be >= 0, but got -1"):
        TrialResources.parse({"cpus": -1})
    with pytest.raises(ConfigError, match=r"trial_resources\['gpus'\] must be a number, but got 'one'"):
        TrialResources.parse({"gpus": "one"})
    with pytest.raises(ConfigError, match="use 'cpus', 'gpus' and 'memory_mb' instead of 'num_gpus'"):
        TrialResources.parse({"num_gpus": 1})
    with pytest.raises(
        ConfigError, match=r"asks Ray for 1 GPU but the cluster has 0; lower trial_resources\['gpus'\]"
    ):
        TrialResources(gpus=1).check_against({"CPU": 2.0})
    TrialResources(cpus=2).check_against({"CPU": 2.0})  # fits: no error
    with pytest.raises(ConfigError, match="workers must be >= 1"):
        RayExecutor(workers=0)
