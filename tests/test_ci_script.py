"""CI fails when pytest collects no tests: .ci/run ends by exec'ing pytest, whose status 5 is non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CI_RUN = Path(__file__).resolve().parents[1] / ".ci" / "run"


def _last_command(script: str) -> str:
    lines = [ln.strip() for ln in script.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return lines[-1]


def test_ci_ends_with_pytest_and_does_not_excuse_any_status():
    script = CI_RUN.read_text()
    assert _last_command(script) == "exec python -m pytest"
    assert "set -euo pipefail" in script
    assert '"$status" -eq 5' not in script and "exit 0" not in script


def test_pytest_with_nothing_to_collect_exits_non_zero(tmp_path):
    (tmp_path / "test_nothing.py").write_text("# no tests here\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 5, done.stdout[-500:]


def test_the_scripts_last_step_fails_ci_when_pytest_collects_nothing(tmp_path):
    """Run the script's own last step (under the script's shell options) in a folder with no tests."""
    (tmp_path / "test_nothing.py").write_text("# no tests here\n")
    step = f"set -euo pipefail\n{_last_command(CI_RUN.read_text())} -q -p no:cacheprovider {tmp_path}\n"
    done = subprocess.run(["bash", "-c", step], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 5
