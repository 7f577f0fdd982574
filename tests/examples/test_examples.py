"""The runnable examples run: the generic Python-API one, and the LLM one against a local fake server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import ragtune as rt
from ragtune.choice import objective_names
from ragtune.objectives import trial_metrics

REPO = Path(__file__).resolve().parents[2]


def test_generic_objective_example_runs(tmp_path: Path):
    url = f"duckdb:///{tmp_path}/generic.duckdb"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "generic_objective.py"),
            "--trials",
            "40",
            "--seed",
            "1",
            "--storage",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("trial ")]
    assert lines and all("accuracy=" in line and "cost=" in line for line in lines)
    study = rt.load_study(study_name="generic", storage=url)
    assert len(study.trials) == 40
    assert objective_names(study.directions, study.system_attrs) == ("accuracy", "cost")  # what the TUI shows


@pytest.fixture()
def fake_llm() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            seen.append(body)
            prompt = body["messages"][-1]["content"]
            words = prompt.split()
            reply = {
                "choices": [{"message": {"role": "assistant", "content": " ".join(words[-5:])}}],
                "usage": {"prompt_tokens": len(words), "completion_tokens": 5},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_llm_generator_example_against_a_local_server(fake_llm, monkeypatch, tmp_path):
    url, seen = fake_llm
    monkeypatch.setenv("RAGTUNE_LLM_URL", url)
    monkeypatch.setenv("RAGTUNE_LLM_MODEL", "fake")
    from ragtune.cli.pipeline_file import load_pipeline_file
    from ragtune.tuner import Tuner

    pf = load_pipeline_file(REPO / "examples" / "llm_generator.py")
    tuner = Tuner(
        pf.pipeline,
        pf.dataset,
        objectives=pf.objectives,
        constraints=pf.constraints,
        sampler=rt.samplers.RandomSampler(seed=0),
        cache=tmp_path / "cache",
        max_questions=6,
        pruner=rt.pruners.NopPruner(),
    )
    study = tuner.optimize(n_trials=2)
    done = study.get_trials(states=(rt.TrialState.COMPLETE,))
    assert len(done) == 2
    assert seen and all(body["model"] == "fake" for body in seen)
    for t in done:
        metrics = trial_metrics(t)
        assert metrics["tokens"] > 5  # usage from the server: prompt + 5 completion tokens per question
