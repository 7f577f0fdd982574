"""A throw-away Ray head on 127.0.0.1 for tests: own ports, own temp dir, stopped by process group.

``ray stop`` would stop every Ray of this user on the machine; this head is started with ``--block``
in its own session, so the test stops exactly the processes it started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RayHead:
    address: str
    proc: subprocess.Popen[str]
    temp_dir: str
    log: Path

    def pids(self) -> list[int]:
        """Processes still in the head's process group."""
        out = subprocess.run(["ps", "-eo", "pid=,pgid="], capture_output=True, text=True).stdout
        return [int(p) for p, g in (line.split() for line in out.splitlines()) if int(g) == self.proc.pid]

    def stop(self) -> None:
        # `ray start --block` stops its processes on SIGINT (about 2 s); SIGTERM/SIGKILL if not.
        for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self.alive():
                time.sleep(0.2)
            if not self.alive():
                break
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def alive(self) -> list[int]:
        return [p for p in self.pids() if self._alive(p)]

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(") ", 1)[1][0] != "Z"
        except (OSError, IndexError):
            return False


def _die_with_parent() -> None:
    """In the child before exec: SIGINT when the test process dies, even by SIGKILL (Linux), so a
    killed pytest does not leave a head running (`ray start --block` stops its processes on SIGINT)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start_head(num_cpus: int = 2, *, env: dict[str, str] | None = None, timeout: float = 90.0) -> RayHead:
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="rt-ray-", dir="/tmp")  # short: Ray's socket paths are limited
    log = Path(temp_dir) / "head.log"
    ray = str(Path(sys.executable).with_name("ray"))
    cmd = [
        ray if os.path.exists(ray) else "ray",
        "start",
        "--head",
        "--block",
        f"--num-cpus={num_cpus}",
        "--num-gpus=0",
        "--include-dashboard=false",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        "--disable-usage-stats",
        f"--temp-dir={temp_dir}",
        "--object-store-memory=100000000",
    ]
    full_env = {
        **os.environ,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **(env or {}),
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            text=True,
        )
    head = RayHead(f"127.0.0.1:{port}", proc, temp_dir, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        if proc.poll() is not None:
            head.stop()
            raise RuntimeError(f"ray start exited with {proc.returncode}: {text[-2000:]}")
        if "Ray runtime started" in text:
            return head
        time.sleep(0.3)
    text = log.read_text()
    head.stop()
    raise RuntimeError(f"the Ray head did not start in {timeout:g} s: {text[-2000:]}")
