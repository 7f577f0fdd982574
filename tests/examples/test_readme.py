"""Every command in README.md runs, as written, in a fresh copy of the repository.

The copy holds the files git tracks (plus new, not ignored ones), so nothing built or cached in the
working tree helps. Skipped, and why: ``pip install ...`` (the suite runs inside the installed
package; CI's fresh venv does the install) and ``python -m pytest`` (that is this suite). ``ragtune``
runs as ``python -m ragtune`` from the copy. ``ragtune tui`` runs in a pseudo-terminal and is closed
with ``q`` once it shows the study. The Python API snippet runs as a script; the pipeline file that
README explains is saved and optimised for two trials.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def readme_commands() -> list[str]:
    commands = []
    for block in blocks("bash"):
        for line in block.splitlines():
            for part in line.split("&&"):
                cmd = part.split("  #")[0].strip()
                if not cmd or cmd.startswith("pip install") or cmd == "python -m pytest":
                    continue
                commands.append(cmd)
    return commands


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    dest = tmp_path_factory.mktemp("fresh") / "ragtune"
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def env_for(checkout: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RAGTUNE_STORAGE"}
    env.update(PYTHONPATH=str(checkout), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", COLUMNS="120")
    return env


def run_in_pty(argv: list[str], cwd: Path, env: dict[str, str], until: str, timeout: float = 120) -> str:
    """Run a full-screen program in a pseudo-terminal, wait for ``until`` on screen, press q."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, *argv], {**env, "TERM": "xterm-256color"})
    seen = b""
    end = time.monotonic() + timeout
    sent = False
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not sent and until.encode() in seen:
                time.sleep(0.5)
                os.write(fd, b"q")
                sent = True
        _, status = os.waitpid(pid, 0)
        assert sent, seen[-2000:]
        assert os.waitstatus_to_exitcode(status) == 0, seen[-2000:]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
        os.close(fd)
    return seen.decode(errors="replace")


@pytest.mark.timeout(2400)  # the quick start's 30 trials: about 2 min on an idle 2-core box
def test_readme_commands_run_in_a_fresh_checkout(checkout: Path) -> None:
    commands = readme_commands()
    names = [c.split()[1] for c in commands]
    assert names[0] == "optimize" and {"best", "tui", "export"} <= set(names), commands
    env = env_for(checkout)
    for cmd in commands:
        argv = ["-m", "ragtune", *shlex.split(cmd)[1:]]
        if argv[2] == "tui":
            run_in_pty(argv, checkout, env, until="python_docs_rag")  # drew the study, quit on q, exit 0
            continue
        proc = subprocess.run(
            [sys.executable, *argv], cwd=checkout, env=env, capture_output=True, text=True, timeout=1800
        )
        assert proc.returncode == 0, (cmd, proc.stderr[-3000:])
        if argv[2] == "optimize":
            assert "Pareto front" in proc.stdout and "cache: " in proc.stdout
            con = duckdb.connect(str(checkout / "ragtune.duckdb"), read_only=True)
            try:
                states = dict(con.execute("select state, count(*) from trials group by state").fetchall())
            finally:
                con.close()
            assert sum(states.values()) == 30 and states.get("COMPLETE", 0) > 0, states
        if argv[2] == "export":
            assert (checkout / "python_docs_rag.csv").read_text().count("\n") == 31


@pytest.mark.timeout(1200)
def test_readme_python_snippets_run(checkout: Path, tmp_path: Path) -> None:
    env = env_for(checkout)
    (api,) = [b for b in blocks("python") if "def objective" in b]
    (tmp_path / "api.py").write_text(api)
    proc = subprocess.run(
        [sys.executable, "api.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    con = duckdb.connect(str(tmp_path / "runs.duckdb"), read_only=True)
    try:
        states = dict(con.execute("select state, count(*) from trials group by state").fetchall())
    finally:
        con.close()
    assert sum(states.values()) == 201 and states.get("PRUNED", 0) > 0, states  # 200 + ask/tell
    (pipeline,) = [b for b in blocks("python") if "def pipeline" in b]
    (tmp_path / "explained.py").write_text(pipeline)
    proc = subprocess.run(
        [sys.executable, "-m", "ragtune", "optimize", "explained.py", "-n", "2", "--max-questions", "20"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Pareto front" in proc.stdout
