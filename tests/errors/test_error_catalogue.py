"""Every mistake in the catalogue gives its exact one-line message and leaves stored studies untouched."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import ragtune as rt
from ragtune.cli.app import app
from ragtune.exceptions import RagtuneError
from ragtune.storage import SQLStorage

sys.path.insert(0, str(Path(__file__).parent))
from error_catalogue import CASES, Case, Ctx, render

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    tmp = tmp_path_factory.mktemp("mistakes")
    url = f"duckdb:///{tmp / 'kept.duckdb'}"
    storage = SQLStorage(url)
    kept = rt.create_study(storage=storage, study_name="kept", sampler=rt.samplers.RandomSampler(seed=0))
    kept.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) ** 2, n_trials=4)
    kept.set_user_attr("owner", "me")
    multi = rt.create_study(storage=storage, study_name="multi", directions=["maximize", "minimize"])
    multi.set_metric_names(["ndcg@10", "latency_p95_ms"])
    multi.set_system_attr("ragtune:constraints", [])
    multi.set_system_attr("ragtune:dataset", "python-docs")
    multi.add_trial(
        rt.FrozenTrial(
            number=-1,
            state=rt.TrialState.COMPLETE,
            values=(0.5, 12.0),
            params={"chunk_size": 512},
            distributions={"chunk_size": rt.IntDistribution(low=256, high=1024, step=256)},
        )
    )
    empty = rt.create_study(storage=storage, study_name="empty")
    c = Ctx(tmp=tmp, url=url, kept=kept, multi=multi, empty=empty)
    c.cli = lambda *args: runner.invoke(app, list(args))
    yield c
    storage.close()


def fingerprint(url: str) -> dict[str, Any]:
    """Everything a user stored: studies, their attrs, and every trial's state, values, params, attrs."""
    storage = SQLStorage(url)
    try:
        out: dict[str, Any] = {}
        for summary in storage.get_all_studies():
            trials = storage.get_all_trials(summary.study_id)
            out[summary.study_name] = {
                "directions": summary.directions,
                "user_attrs": storage.get_study_user_attrs(summary.study_id),
                "trials": [
                    (
                        t.number,
                        t.state,
                        t.values,
                        dict(t.params),
                        dict(t.user_attrs),
                        dict(t.intermediate_values),
                        t.fail_reason,
                    )
                    for t in trials
                ],
            }
        return out
    finally:
        storage.close()


def expected_message(case: Case, ctx: Ctx) -> str:
    text = case.message.replace("<tmp>", str(ctx.tmp))
    if "<pghost>" in text:
        url = sa.make_url(os.environ["RAGTUNE_TEST_POSTGRES_URL"])
        text = text.replace("<pghost>", f"{url.host or 'localhost'}:{url.port or 5432}")
    if "<pid>" in text:
        text = text.replace("<pid>", str(ctx.held_pid))  # type: ignore[attr-defined]
    return text


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = []
        if case.bug:
            marks.append(pytest.mark.xfail(strict=True, reason=case.bug))
        if case.needs_postgres:
            marks.append(pytest.mark.postgres)
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def _usage_text(output: str) -> str:
    """Typer draws usage errors in a box; the words inside it, joined with single spaces."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize("case", _params())
def test_mistake_gives_its_message_and_leaves_storage_untouched(ctx: Ctx, case: Case) -> None:
    if case.needs_postgres and not os.environ.get("RAGTUNE_TEST_POSTGRES_URL"):
        pytest.skip("needs RAGTUNE_TEST_POSTGRES_URL")
    before = fingerprint(ctx.url)
    reason: str | None = None
    if case.error == "CLI":
        result = case.run(ctx)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        # The error is the last line and the only one; lines before it are optimize's normal header.
        assert result.exit_code == 1 and lines[-1:] == [f"error: {expected_message(case, ctx)}"], (
            result.exit_code,
            result.stderr[-3000:],
            repr(result.exception),
        )
        assert not [line for line in lines[:-1] if line.startswith("error") or "Traceback" in line]
        reason = lines[-1].removeprefix("error: ")
    elif case.error == "usage":
        result = case.run(ctx)
        assert result.exit_code == 2, result.output
        assert expected_message(case, ctx) in _usage_text(result.stderr or result.output)
    elif case.error == "FAIL trial":
        case.run(ctx)
        reason = expected_message(case, ctx)
    else:
        with pytest.raises(RagtuneError) as info:
            case.run(ctx)
        assert type(info.value).__name__ == case.error, repr(info.value)
        message = str(info.value)
        assert message == expected_message(case, ctx)
        assert "\n" not in message
        reason = f"{case.error}: {message}"

    after = fingerprint(ctx.url)
    if case.records == "nothing":
        assert after == before
        return
    # One new FAIL trial that says why; every earlier trial and every other study unchanged.
    assert after.keys() == before.keys()
    grown = [name for name in after if after[name] != before[name]]
    assert len(grown) == 1, grown
    old, new = before[grown[0]], after[grown[0]]
    assert (
        new["trials"][: len(old["trials"])] == old["trials"] and len(new["trials"]) == len(old["trials"]) + 1
    )
    last = new["trials"][-1]
    assert last[1] is rt.TrialState.FAIL
    # The stored reason ends the message (API) or is quoted in the CLI's line about the trial.
    assert reason is not None and (last[-1].endswith(reason) or f"failed: {last[-1]}" in reason), (
        last[-1],
        reason,
    )


def test_catalogue_is_big_and_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 40
    assert len({case.area for case in CASES}) >= 8


def test_docs_errors_md_is_generated_from_the_catalogue() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert doc == render(), (
        "docs/errors.md is stale: run python tests/errors/error_catalogue.py > docs/errors.md"
    )
