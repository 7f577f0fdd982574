"""``ragtune report`` and ``write_report``: content, formats, and one clear line for each bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_data import make_question_study
from typer.testing import CliRunner

import ragtune as rt
from ragtune.choice import record_choice
from ragtune.cli import app
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ReportError
from ragtune.storage import InMemoryStorage
from ragtune.visualization import write_report


def test_html_is_self_contained_with_every_section(tmp_path):
    study = make_question_study(InMemoryStorage())
    path, content = write_report(study, tmp_path / "r.html")
    html = path.read_text()
    assert "<script" not in html and "<link" not in html
    # The only URL is the SVG namespace: nothing to fetch.
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    for heading in ("Pareto front", "Optimisation history", "Parameter importance", "Parallel coordinates"):
        assert heading in html
    assert html.count("<svg") == len(content.figures) == 5  # pareto, history, importance, 2 parallel
    assert "Per-question results of the best trials" in html
    assert content.questions is not None and len(content.questions.rows) == 12
    assert '<span class="hit">' in html and '<span class="miss">' in html
    assert "None chosen yet" in html


def test_chosen_trade_off_is_shown(tmp_path):
    study = make_question_study(InMemoryStorage())
    number = study.best_trials[0].number
    record_choice(study, number, path=tmp_path / "c.json")
    _, content = write_report(study, tmp_path / "r.html")
    assert content.chosen is not None and content.chosen["trial"] == number
    assert f"<b>trial #{number}</b>" in (tmp_path / "r.html").read_text()
    assert content.questions is not None and content.questions.trials[0] == number


def test_markdown_writes_svg_files_beside_it(tmp_path):
    study = make_question_study(InMemoryStorage())
    path, content = write_report(study, tmp_path / "r.md", format="md")
    text = path.read_text()
    files = sorted(p.name for p in (tmp_path / "r_files").iterdir())
    assert len(files) == len(content.figures)
    for name in files:
        assert f"](r_files/{name})" in text
        assert (tmp_path / "r_files" / name).read_text().startswith("<svg")
    assert "| question |" in text


def _study(directions: list[str], trials: list[FrozenTrial]) -> rt.Study:
    study = rt.create_study(directions=directions)
    for t in trials:
        study.add_trial(t)
    return study


def test_one_objective_has_no_front_but_a_ranking(tmp_path):
    trials = [
        FrozenTrial(
            number=-1,
            state=TrialState.COMPLETE,
            values=(float(i),),
            params={"x": i / 10},
            distributions={"x": rt.FloatDistribution(low=0.0, high=1.0)},
        )
        for i in range(5)
    ]
    _, content = write_report(_study(["minimize"], trials), tmp_path / "r.html")
    assert content.headline.startswith("1 objective (values_0; no Pareto front, best trial #0)")
    assert [k for k, _ in content.figures] == ["history", "importance", "parallel-0"]
    assert content.best_rows[0][0] == "#0"


def test_bad_input_one_line_each(tmp_path):
    empty = rt.create_study(study_name="empty")
    with pytest.raises(ReportError, match=r"^study 'empty' has no trials; run some first"):
        write_report(empty, tmp_path / "r.html")
    failed = _study(
        ["minimize", "maximize"],
        [FrozenTrial(number=-1, state=TrialState.FAIL, fail_reason="boom\nmore")] * 2,
    )
    with pytest.raises(
        ReportError, match=r"has 2 trials and none completed \(2 fail\); first failure: boom; fix"
    ):
        write_report(failed, tmp_path / "r.html")
    ok = make_question_study(InMemoryStorage())
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(
        ReportError, match="cannot write the report to .*file.txt/r.html'.*; pass a writable path with -o"
    ):
        write_report(ok, blocker / "r.html")
    with pytest.raises(ReportError, match="folder .*nowhere' does not exist"):
        write_report(ok, tmp_path / "nowhere" / "r.html")
    with pytest.raises(ReportError, match="it is a directory"):
        write_report(ok, tmp_path)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"duckdb:///{tmp_path / 'r.duckdb'}"
    storage = rt.storage.get_storage(url)
    make_question_study(storage, "qa")
    rt.create_study(storage=storage, study_name="empty")
    failed = rt.create_study(storage=storage, study_name="failed", directions=["minimize", "minimize"])
    failed.add_trial(FrozenTrial(number=-1, state=TrialState.FAIL, fail_reason="GeneratorError: timed out"))
    single = rt.create_study(storage=storage, study_name="single")
    single.add_trial(FrozenTrial(number=-1, state=TrialState.COMPLETE, values=(0.5,)))
    return url


def test_cli_report_and_its_errors(url, tmp_path):
    runner = CliRunner()
    out = tmp_path / "qa.html"
    res = runner.invoke(app, ["report", "qa", "-s", url, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert (
        res.output.strip()
        == f"wrote {out}: 2 objectives (ndcg@10, latency_p95_ms), 30 trials (26 complete), Pareto front of {len(rt.load_study(study_name='qa', storage=url).best_trials)}"
    )
    res = runner.invoke(app, ["report", "single", "-s", url, "-o", str(tmp_path / "s.md"), "--format", "md"])
    assert res.exit_code == 0 and "1 objective (values_0; no Pareto front, best trial #0)" in res.output
    for study, args, message in [
        ("empty", [], "error: study 'empty' has no trials; run some first (ragtune optimize ...)"),
        (
            "failed",
            [],
            "error: study 'failed' has 1 trials and none completed (1 fail); first failure: GeneratorError: timed out; fix the failure and run trials again",
        ),
        (
            "qa",
            ["-o", str(tmp_path / "missing" / "r.html")],
            f"error: cannot write the report to '{tmp_path / 'missing' / 'r.html'}': folder '{tmp_path / 'missing'}' does not exist; create it or pass another -o",
        ),
        ("nope", [], "error: no study named 'nope'"),
    ]:
        res = runner.invoke(app, ["report", study, "-s", url, *(args or ["-o", str(tmp_path / "x.html")])])
        assert res.exit_code == 1, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), lines
