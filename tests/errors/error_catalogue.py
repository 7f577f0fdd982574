"""The bad-input catalogue: every user mistake, its exact message, and what it leaves in storage.

docs/errors.md is written from this table (``python tests/errors/error_catalogue.py > docs/errors.md``) and a
test checks that the two agree. Messages may hold placeholders, filled in by the test:
``<tmp>`` the test's folder, ``<url>`` the DuckDB storage URL.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ragtune as rt
from ragtune.core.trial_state import TrialState
from ragtune.objectives.catalogue import metric_display_names


@dataclass
class Ctx:
    """What a case runs against: a DuckDB file with studies in it, and a folder for files."""

    tmp: Path
    url: str
    kept: rt.Study  # one objective (minimize), 4 complete trials with float param x in [0, 1]
    multi: rt.Study  # ndcg@10 (max) and latency_p95_ms (min), created like `ragtune optimize` does
    empty: rt.Study  # no trials
    cli: Callable[..., Any] = field(repr=False, default=None)  # type: ignore[assignment]


@dataclass(frozen=True)
class Case:
    id: str
    area: str
    mistake: str
    """What the user did, as code or a command line."""
    run: Callable[[Ctx], Any]
    error: str
    """The exception class name, or ``"CLI"`` (stderr ``error: <message>``, exit 1), ``"usage"``
    (Typer's usage error, exit 2), or ``"FAIL trial"`` (no exception: the trial is stored as FAIL with
    the message as its reason and the study goes on)."""
    message: str
    records: str = "nothing"
    """What the mistake leaves in storage: ``"nothing"`` or ``"one FAIL trial"`` (with the message)."""
    bug: str | None = None
    """Set while ragtune gets this wrong: the test is an xfail(strict=True) with this reason."""
    needs_postgres: bool = False


# -- helpers the cases use -----------------------------------------------------------------------

TINY = """
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max", "latency_p95_ms:min"]

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(), k=5)
"""


def pipeline_file(ctx: Ctx, name: str, source: str) -> str:
    path = ctx.tmp / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return str(path)


def tiny(ctx: Ctx) -> str:
    return pipeline_file(ctx, "tiny.py", TINY)


def optimize(ctx: Ctx, file: str, *extra: str) -> Any:
    return ctx.cli(
        "optimize",
        file,
        "--storage",
        ctx.url,
        "--n-trials",
        "1",
        "--sampler",
        "random",
        "--max-questions",
        "5",
        *extra,
    )


def in_trial(body: Callable[[Any], Any]) -> Callable[[Ctx], Any]:
    """Run ``body(trial)`` as the objective of one trial of the ``kept`` study."""

    def run(ctx: Ctx) -> Any:
        def objective(trial: Any) -> Any:
            return body(trial)

        ctx.kept.optimize(objective, n_trials=1)

    return run


def jsonl(ctx: Ctx, corpus: str, questions: str = '{"id": "q1", "text": "one?"}\n') -> Any:
    c = ctx.tmp / "corpus.jsonl"
    q = ctx.tmp / "questions.jsonl"
    c.write_text(corpus, encoding="utf-8")
    q.write_text(questions, encoding="utf-8")
    return rt.datasets.from_jsonl(c, q)


def lock_holder(ctx: Ctx) -> Any:
    """Open another DuckDB file from a second process, then from this one."""
    import subprocess
    import sys

    path = ctx.tmp / "held.duckdb"
    code = (
        "import sys, time; from ragtune.storage import SQLStorage; "
        f"s = SQLStorage({'duckdb:///' + str(path)!r}); print('READY', flush=True); time.sleep(600)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "READY"
        from ragtune.storage import SQLStorage

        SQLStorage(f"duckdb:///{path}")
    finally:
        holder.kill()
        holder.wait()
        ctx.held_pid = holder.pid  # type: ignore[attr-defined]


def objectives_spec(spec: str) -> Callable[[Ctx], Any]:
    from ragtune.objectives.specs import parse_objective

    return lambda ctx: parse_objective(spec)


def constraint_spec(spec: str) -> Callable[[Ctx], Any]:
    from ragtune.objectives.specs import parse_constraint

    return lambda ctx: parse_constraint(spec)


VALID_METRICS = ", ".join(metric_display_names())  # the metric catalogue, as the messages list it
SUPPORTED = "duckdb:///path/to/file.duckdb, postgresql+psycopg://user:password@host:5432/db, or memory"
FLOAT_X = "FloatDistribution(low=0.0, high=1.0, log=False, step=None)"


# -- the catalogue -------------------------------------------------------------------------------

API = "Python API: studies"
SPACE = "Python API: search space"
VALUES = "Python API: objective values and reports"
SPECS = "Objectives and constraints"
STAGES = "Pipelines and the cache"
DATA = "Datasets"
URLS = "Storage URLs and servers"
FILE = "Pipeline files (ragtune optimize / worker)"
CLI = "Command line"
REPORT = "Reports (ragtune report)"

CASES: list[Case] = [
    # -- studies ---------------------------------------------------------------------------------
    Case(
        "API-01",
        API,
        'rt.create_study(direction="up")',
        lambda c: rt.create_study(storage=c.url, study_name="new", direction="up"),
        "DirectionError",
        "direction must be 'minimize' or 'maximize', but got 'up'; fix the direction string "
        "(e.g. directions=['maximize', 'minimize'])",
    ),
    Case(
        "API-02",
        API,
        'rt.create_study(direction="minimize", directions=["maximize"])',
        lambda c: rt.create_study(storage=c.url, direction="minimize", directions=["maximize"]),
        "DirectionError",
        "pass either direction= or directions=, not both",
    ),
    Case(
        "API-03",
        API,
        "rt.create_study(directions=[])",
        lambda c: rt.create_study(storage=c.url, directions=[]),
        "DirectionError",
        "directions must be a non-empty list such as ['maximize', 'minimize'], but got []",
    ),
    Case(
        "API-04",
        API,
        'rt.create_study(directions="maximize") (a string, not a list)',
        lambda c: rt.create_study(storage=c.url, directions="maximize"),
        "DirectionError",
        "directions must be a non-empty list such as ['maximize', 'minimize'], but got 'maximize'",
    ),
    Case(
        "API-05",
        API,
        'rt.create_study(study_name="kept") when "kept" exists',
        lambda c: rt.create_study(storage=c.url, study_name="kept"),
        "DuplicatedStudyError",
        "a study named 'kept' exists already; pass load_if_exists=True to reuse it",
    ),
    Case(
        "API-06",
        API,
        'rt.create_study(study_name="kept", direction="maximize", load_if_exists=True)',
        lambda c: rt.create_study(
            storage=c.url, study_name="kept", direction="maximize", load_if_exists=True
        ),
        "StudyDirectionsMismatch",
        "study 'kept' exists with directions ['minimize'], but ['maximize'] were given; use the same "
        "directions or another study name",
    ),
    Case(
        "API-07",
        API,
        'rt.load_study(study_name="nope", storage=url)',
        lambda c: rt.load_study(study_name="nope", storage=c.url),
        "StudyNotFound",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi']",
    ),
    Case(
        "API-08",
        API,
        'rt.delete_study(study_name="nope", storage=url)',
        lambda c: rt.delete_study(study_name="nope", storage=c.url),
        "StudyNotFound",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi']",
    ),
    Case(
        "API-09",
        API,
        "study.best_trial on a study with two objectives",
        lambda c: c.multi.best_trial,
        "ValidationError",
        "best_trial is for single-objective studies; use study.best_trials (the Pareto front)",
    ),
    Case(
        "API-10",
        API,
        "study.best_trial before any trial completed",
        lambda c: c.empty.best_trial,
        "NoCompletedTrials",
        "study 'empty' has no completed (feasible) trial yet; run optimize() first",
    ),
    Case(
        "API-11",
        API,
        "study.direction on a study with two objectives",
        lambda c: c.multi.direction,
        "ValidationError",
        "this study has several objectives; use study.directions",
    ),
    Case(
        "API-12",
        API,
        "study.tell(0, 1.0) on trial 0, which is COMPLETE",
        lambda c: c.kept.tell(0, 1.0),
        "UpdateFinishedTrialError",
        "trial 0 is already COMPLETE and cannot be told again; pass skip_if_finished=True to ignore repeated tells",
    ),
    Case(
        "API-13",
        API,
        "study.tell(0, state=TrialState.RUNNING)",
        lambda c: c.kept.tell(0, state=TrialState.RUNNING),
        "ValidationError",
        "tell() state must be COMPLETE, PRUNED or FAIL, but got RUNNING",
    ),
    Case(
        "API-14",
        API,
        "study.tell(99, 1.0) on a study without trial 99",
        lambda c: c.empty.tell(99, 1.0),
        "TrialNotFound",
        "no trial number 99 in this study (0 trials)",
    ),
    Case(
        "API-15",
        API,
        "study.optimize(f, n_trials=-1)",
        lambda c: c.kept.optimize(lambda t: 0.0, n_trials=-1),
        "ValidationError",
        "n_trials must be >= 0, but got n_trials=-1",
    ),
    Case(
        "API-16",
        API,
        "study.optimize(f, timeout=-5)",
        lambda c: c.kept.optimize(lambda t: 0.0, timeout=-5),
        "ValidationError",
        "timeout must be >= 0 seconds, but got timeout=-5",
    ),
    Case(
        "API-17",
        API,
        "study.optimize(f, n_jobs=0)",
        lambda c: c.kept.optimize(lambda t: 0.0, n_trials=1, n_jobs=0),
        "ValidationError",
        "n_jobs must be >= 1 or -1 (all cores), but got n_jobs=0",
    ),
    Case(
        "API-18",
        API,
        'study.set_user_attr("owner", object()) (not JSON)',
        lambda c: c.kept.set_user_attr("owner", object()),
        "ValidationError",
        "study user attr 'owner' must be JSON-serialisable (str, number, bool, None, list, dict), but got "
        "object: Object of type object is not JSON serializable; convert it first (e.g. str(value))",
    ),
    Case(
        "API-19",
        API,
        'rt.FixedTrial({"x": 0.5}) replaying an objective that also suggests "k"',
        lambda c: (lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("k", 1, 4)))(
            rt.FixedTrial({"x": 0.5})
        ),
        "ValidationError",
        "FixedTrial has no value for 'k'; known: ['x']; add it to the params",
    ),
    Case(
        "API-20",
        API,
        'rt.FixedTrial({"x": 5.0}) for suggest_float("x", 0, 1)',
        lambda c: rt.FixedTrial({"x": 5.0}).suggest_float("x", 0, 1),
        "ValidationError",
        f"FixedTrial value x=5.0 is outside {FLOAT_X}; fix the value",
    ),
    Case(
        "API-21",
        API,
        'rt.create_study(study_name="  ") (blank name)',
        lambda c: rt.create_study(storage=c.url, study_name="  "),
        "ConfigError",
        "study_name must be a non-empty string, but got '  '; pass a name, or leave study_name out "
        "to get a generated one",
    ),
    # -- search space ----------------------------------------------------------------------------
    Case(
        "SPACE-01",
        SPACE,
        'trial.suggest_float("lr", 2, 1)',
        in_trial(lambda t: t.suggest_float("lr", 2, 1)),
        "DistributionError",
        "low must be <= high, but got low=2.0, high=1.0; swap them",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-02",
        SPACE,
        'trial.suggest_float("lr", 0, 1, log=True)',
        in_trial(lambda t: t.suggest_float("lr", 0, 1, log=True)),
        "DistributionError",
        "log=True needs low > 0, but got low=0.0; raise low or drop log=True",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-03",
        SPACE,
        'trial.suggest_float("lr", 0.1, 1, step=0.1, log=True)',
        in_trial(lambda t: t.suggest_float("lr", 0.1, 1, step=0.1, log=True)),
        "DistributionError",
        "step and log=True cannot be used together; drop one of them",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-04",
        SPACE,
        'trial.suggest_float("lr", 0, 1, step=-0.5)',
        in_trial(lambda t: t.suggest_float("lr", 0, 1, step=-0.5)),
        "DistributionError",
        "step must be > 0, but got step=-0.5",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-05",
        SPACE,
        'trial.suggest_float("lr", 0, float("inf"))',
        in_trial(lambda t: t.suggest_float("lr", 0, float("inf"))),
        "DistributionError",
        "low and high must be finite, but got low=0.0, high=inf",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-06",
        SPACE,
        'trial.suggest_int("n", 0, 10, step=3)',
        in_trial(lambda t: t.suggest_int("n", 0, 10, step=3)),
        "DistributionError",
        "IntDistribution: step must divide high - low, but got low=0, high=10, step=3; use high=9 or another step",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-07",
        SPACE,
        'trial.suggest_int("n", 0, 8, log=True)',
        in_trial(lambda t: t.suggest_int("n", 0, 8, log=True)),
        "DistributionError",
        "log=True needs low >= 1, but got low=0; raise low or drop log=True",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-08",
        SPACE,
        'trial.suggest_int("n", 1.5, 4)',
        in_trial(lambda t: t.suggest_int("n", 1.5, 4)),
        "ValidationError",
        "suggest_int('n'): low must be an int, but got 1.5",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-09",
        SPACE,
        'trial.suggest_categorical("kind", [])',
        in_trial(lambda t: t.suggest_categorical("kind", [])),
        "DistributionError",
        "choices must not be empty; pass at least one choice",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-10",
        SPACE,
        'trial.suggest_categorical("kind", ["bm25", "bm25"])',
        in_trial(lambda t: t.suggest_categorical("kind", ["bm25", "bm25"])),
        "DistributionError",
        "choices must be unique, but 'bm25' appears twice in ('bm25', 'bm25')",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-11",
        SPACE,
        'trial.suggest_categorical("dims", [[64, 64], [128]])',
        in_trial(lambda t: t.suggest_categorical("dims", [[64, 64], [128]])),
        "DistributionError",
        "choices must be None, bool, int, float or str, but got [[64, 64], [128]]",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-12",
        SPACE,
        'trial.suggest_float("y", 0, 1) then trial.suggest_int("y", 0, 3) in one trial',
        in_trial(lambda t: (t.suggest_float("y", 0, 1), t.suggest_int("y", 0, 3))),
        "DistributionConflictError",
        "parameter 'y' was already suggested in this trial as "
        "FloatDistribution(low=0.0, high=1.0, log=False, step=None), now as "
        "IntDistribution(low=0, high=3, log=False, step=1); suggest each name once per trial or use another name",
        records="one FAIL trial",
    ),
    Case(
        "SPACE-13",
        SPACE,
        'trial.suggest_int("x", 0, 3) where earlier trials had suggest_float("x", 0, 1)',
        in_trial(lambda t: t.suggest_int("x", 0, 3)),
        "DistributionConflictError",
        f"parameter 'x' was suggested as {FLOAT_X} and now as IntDistribution(low=0, high=3, log=False, step=1); "
        "use one type and one set of choices per name (or a different name)",
        records="one FAIL trial",
    ),
    # -- objective values and reports ------------------------------------------------------------
    Case(
        "VALUE-01",
        VALUES,
        "an objective that returns float('nan')",
        in_trial(lambda t: float("nan")),
        "FAIL trial",
        "objective values must be finite, but got nan",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-02",
        VALUES,
        "an objective that returns None",
        in_trial(lambda t: None),
        "FAIL trial",
        "the objective returned None; return a number per objective",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-03",
        VALUES,
        'an objective that returns "0.5" (a string)',
        in_trial(lambda t: "0.5"),
        "FAIL trial",
        "objective values must be numbers, but got '0.5' (str)",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-04",
        VALUES,
        "an objective that returns (0.1, 0.2) in a study with one direction",
        in_trial(lambda t: (0.1, 0.2)),
        "FAIL trial",
        "the objective returned 2 values, but the study has 1 directions; return one value per direction",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-05",
        VALUES,
        "trial.report(float('nan'), 0)",
        in_trial(lambda t: t.report(float("nan"), 0)),
        "ObjectiveValueError",
        "reported values must be finite, but got nan",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-06",
        VALUES,
        "trial.report(0.5, -1)",
        in_trial(lambda t: t.report(0.5, -1)),
        "ValidationError",
        "step must be an int >= 0, but got step=-1",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-07",
        VALUES,
        "trial.report((0.1, 0.2, 0.3), 0) in a study with one objective",
        in_trial(lambda t: t.report((0.1, 0.2, 0.3), 0)),
        "ObjectiveValueError",
        "report() got 3 values, but the study has 1 objectives; report one value or 1",
        records="one FAIL trial",
    ),
    Case(
        "VALUE-08",
        VALUES,
        "trial.set_constraint(float('inf'))",
        in_trial(lambda t: t.set_constraint(float("inf"))),
        "ObjectiveValueError",
        "constraint values must be finite, but got inf",
        records="one FAIL trial",
    ),
    # -- objective and constraint specs ----------------------------------------------------------
    Case(
        "SPEC-01",
        SPECS,
        '"ndgc@10:max" (a typo)',
        objectives_spec("ndgc@10:max"),
        "ConfigError",
        f"unknown objective 'ndgc@10'; did you mean 'ndcg@10'? valid: {VALID_METRICS}",
    ),
    Case(
        "SPEC-02",
        SPECS,
        '"ndcg" (no cutoff)',
        objectives_spec("ndcg"),
        "ConfigError",
        "ndcg needs a cutoff k, but got 'ndcg'; write for example 'ndcg@10'",
    ),
    Case(
        "SPEC-03",
        SPECS,
        '"recall@0"',
        objectives_spec("recall@0"),
        "ConfigError",
        "the cutoff k must be an integer >= 1, but got k='0' in 'recall@0'",
    ),
    Case(
        "SPEC-04",
        SPECS,
        '"latency_p95_ms@5"',
        objectives_spec("latency_p95_ms@5"),
        "ConfigError",
        "latency_p95_ms takes no cutoff, but got 'latency_p95_ms@5'; write 'latency_p95_ms'",
    ),
    Case(
        "SPEC-05",
        SPECS,
        '"ndcg@10:up"',
        objectives_spec("ndcg@10:up"),
        "ConfigError",
        "direction must be one of max, maximize, min, minimize, but got 'up' in objective 'ndcg@10:up'",
    ),
    Case(
        "SPEC-06",
        SPECS,
        'objectives = ["ndcg@10", "ndcg@10:max"]',
        lambda c: __import__("ragtune.objectives.specs", fromlist=["x"]).parse_objectives(
            ["ndcg@10", "ndcg@10:max"]
        ),
        "ConfigError",
        "each objective must be named once, but got ndcg@10 more than once",
    ),
    Case(
        "SPEC-07",
        SPECS,
        '"latency_p95_ms == 200"',
        constraint_spec("latency_p95_ms == 200"),
        "ConfigError",
        "constraint 'latency_p95_ms == 200' is malformed; expected '<metric> <op> <number>' with op one of "
        "<=, >=, <, > (e.g. 'latency_p95_ms <= 200')",
    ),
    Case(
        "SPEC-08",
        SPECS,
        '"latency_p95_ms <= 200ms" (a unit)',
        constraint_spec("latency_p95_ms <= 200ms"),
        "ConfigError",
        "constraint 'latency_p95_ms <= 200ms' is malformed; expected '<metric> <op> <number>' with op one of "
        "<=, >=, <, > (e.g. 'latency_p95_ms <= 200')",
    ),
    Case(
        "SPEC-09",
        SPECS,
        '"latency_p95_ms <= 1e999"',
        constraint_spec("latency_p95_ms <= 1e999"),
        "ConfigError",
        "constraint 'latency_p95_ms <= 1e999' has a bound that is not a finite number; expected "
        "'<metric> <op> <number>' with op one of <=, >=, <, > (e.g. 'latency_p95_ms <= 200')",
    ),
    Case(
        "SPEC-10",
        SPECS,
        '"latncy_p95_ms <= 200" (a typo)',
        constraint_spec("latncy_p95_ms <= 200"),
        "ConfigError",
        f"unknown metric 'latncy_p95_ms'; did you mean 'latency_p95_ms'? valid: {VALID_METRICS}",
    ),
    # -- pipelines and the cache -----------------------------------------------------------------
    Case(
        "STAGE-01",
        STAGES,
        "chunkers.Window(100, 100) (overlap as large as the window)",
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).chunkers.Window(100, 100),
        "ConfigError",
        "Window: overlap must be < size, but got overlap=100, size=100",
    ),
    Case(
        "STAGE-02",
        STAGES,
        "chunkers.Window(0)",
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).chunkers.Window(0),
        "ConfigError",
        "Window: size must be > 0, but got size=0",
    ),
    Case(
        "STAGE-03",
        STAGES,
        "retrievers.BM25(k1=-1)",
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).retrievers.BM25(k1=-1),
        "ConfigError",
        "BM25: k1 must be >= 0.0, but got k1=-1",
    ),
    Case(
        "STAGE-04",
        STAGES,
        "Pipeline(..., k=0)",
        lambda c: _pipeline(k=0),
        "ConfigError",
        "Pipeline: k must be an integer >= 1, but got k=0",
    ),
    Case(
        "STAGE-05",
        STAGES,
        "Pipeline(chunker=..., retriever=retrievers.Dense()) without an embedder",
        lambda c: _pipeline(dense=True),
        "ConfigError",
        "Pipeline: retriever 'dense' needs an embedder, but got embedder=None",
    ),
    Case(
        "STAGE-06",
        STAGES,
        'Pipeline(chunker="window", ...) (a name instead of a stage)',
        lambda c: _pipeline(chunker="window"),
        "ConfigError",
        "Pipeline: chunker must have kind, version, params and chunk(), but got chunker='window'",
    ),
    Case(
        "STAGE-07",
        STAGES,
        "Cache(max_bytes=0)",
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).Cache(root=c.tmp / "c", max_bytes=0),
        "ValidationError",
        "Cache: max_bytes must be > 0, but got max_bytes=0",
    ),
    Case(
        "STAGE-08",
        STAGES,
        'readers.GGUFGenerator("model.gguf") where the file is a zip archive',
        lambda c: _gguf_reader(c),
        "ConfigError",
        "model file '<tmp>/model.gguf' is not a GGUF file (it starts with b'PK\\x03\\x04', not b'GGUF'); "
        "pass a .gguf model (convert others with llama.cpp's convert_hf_to_gguf.py)",
    ),
    Case(
        "STAGE-09",
        STAGES,
        'templates.PromptTemplate("bad", "Passage: {context}\\nAnswer:")',
        lambda c: __import__("ragtune.pipelines.templates", fromlist=["x"]).PromptTemplate(
            "bad", "Passage: {context}\nAnswer:"
        ),
        "ConfigError",
        "template 'bad' is missing {question}; add {question} where the question goes",
    ),
    Case(
        "STAGE-10",
        STAGES,
        'readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", max_retries=0).read(...) (no server)',
        lambda c: (
            __import__("ragtune.pipelines", fromlist=["x"])
            .readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", max_retries=0)
            .read("Q?", ["ctx"])
        ),
        "GeneratorError",
        "OpenAIGenerator: POST http://127.0.0.1:9/v1/completions failed after 1 attempt(s): "
        "ConnectionRefusedError: [Errno 111] Connection refused; is the server running? "
        "(start one with: ragtune serve-model MODEL.gguf)",
    ),
    Case(
        "STAGE-11",
        STAGES,
        'Tuner(pipeline, "python-docs", objectives=["cost_usd"], price_per_1k_input=-0.5)',
        lambda c: __import__("ragtune.tuner", fromlist=["x"]).Tuner(
            lambda t: _pipeline(), "python-docs", objectives=["cost_usd"], price_per_1k_input=-0.5
        ),
        "ConfigError",
        "price_per_1k_input must be >= 0 (US dollars per 1k tokens), but got price_per_1k_input=-0.5",
    ),
    Case(
        "STAGE-12",
        STAGES,
        'retrievers.BM25(stemmer="klingon") (not a Snowball language)',
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).retrievers.BM25(stemmer="klingon"),
        "ConfigError",
        "BM25: stemmer must be None or a Snowball language ("
        + ", ".join(__import__("ragtune.pipelines.analyzer", fromlist=["x"]).SNOWBALL_LANGUAGES)
        + "), but got stemmer='klingon'",
    ),
    Case(
        "STAGE-13",
        STAGES,
        'chunkers.Recursive(512, title="all")',
        lambda c: __import__("ragtune.pipelines", fromlist=["x"]).chunkers.Recursive(512, title="all"),
        "ConfigError",
        "Recursive: title must be 'each', 'first' or 'none', but got title='all'",
    ),
    # -- datasets (tests/datasets/test_dataset_errors.py has every row-level case) ----------------
    Case(
        "DATA-01",
        DATA,
        'rt.datasets.load("pyhton-docs") (a typo)',
        lambda c: rt.datasets.load("pyhton-docs"),
        "DatasetError",
        "unknown dataset 'pyhton-docs': not a built-in name (python-docs) and no such path; pass one of the "
        "names or the path of a dataset folder",
    ),
    Case(
        "DATA-02",
        DATA,
        "from_jsonl(corpus, questions) with a line that is not JSON",
        lambda c: jsonl(c, '{"id": "d1", "text": "one"}\n{"id": "d2" "text": "two"}\n'),
        "DatasetError",
        "corpus.jsonl line 2: not valid JSON (Expecting ',' delimiter at column 13); fix or remove the line",
    ),
    Case(
        "DATA-03",
        DATA,
        "from_jsonl(...) with a corpus row without text",
        lambda c: jsonl(c, '{"id": "d1", "body": "one"}\n'),
        "DatasetError",
        "corpus.jsonl line 1: missing field 'text'; add the text as a string",
    ),
    Case(
        "DATA-04",
        DATA,
        "from_jsonl(...) with two documents of the same id",
        lambda c: jsonl(
            c, '{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n{"id": "a", "text": "3"}\n'
        ),
        "DatasetError",
        "corpus.jsonl line 3: duplicate document id 'a' (first on line 1); give every document its own id",
    ),
    Case(
        "DATA-05",
        DATA,
        "from_jsonl(...) with an empty corpus file",
        lambda c: jsonl(c, "\n"),
        "DatasetError",
        "corpus.jsonl: no documents found; add at least one corpus row",
    ),
    Case(
        "DATA-06",
        DATA,
        "from_jsonl(<missing file>, ...)",
        lambda c: rt.datasets.from_jsonl(c.tmp / "nope.jsonl", c.tmp / "nope2.jsonl"),
        "DatasetError",
        "<tmp>/nope.jsonl: file not found; check the path",
    ),
    # -- storage URLs and servers ----------------------------------------------------------------
    Case(
        "URL-01",
        URLS,
        'storage="mysql://user:pw@host/db"',
        lambda c: rt.create_study(storage="mysql://user:pw@host/db"),
        "StorageURLError",
        f"unknown storage URL scheme 'mysql' in 'mysql://user:***@host/db'; use {SUPPORTED}",
    ),
    Case(
        "URL-02",
        URLS,
        'storage="runs.duckdb" (no scheme)',
        lambda c: rt.create_study(storage="runs.duckdb"),
        "StorageURLError",
        f"storage URL 'runs.duckdb' has no scheme; use {SUPPORTED}",
    ),
    Case(
        "URL-03",
        URLS,
        'storage="postgresql+asyncpg://user:pw@host/db"',
        lambda c: rt.create_study(storage="postgresql+asyncpg://user:pw@host/db"),
        "StorageURLError",
        "storage URL 'postgresql+asyncpg://user:***@host/db' names the driver 'postgresql+asyncpg'; ragtune "
        "talks to PostgreSQL through psycopg 3: use postgresql+psycopg://user:password@host:5432/db",
    ),
    Case(
        "URL-04",
        URLS,
        "storage=123",
        lambda c: rt.create_study(storage=123),
        "StorageURLError",  # type: ignore[arg-type]
        "storage must be a URL string or a Storage, but got int",
    ),
    Case(
        "URL-05",
        URLS,
        'storage="duckdb:///<missing folder>/runs.duckdb"',
        lambda c: rt.create_study(storage=f"duckdb:///{c.tmp}/none/runs.duckdb"),
        "StorageError",
        "cannot open DuckDB file <tmp>/none/runs.duckdb: the folder <tmp>/none does not exist; create it",
    ),
    Case(
        "URL-06",
        URLS,
        'storage="duckdb:///notes.txt" (a file that is not a DuckDB database)',
        lambda c: (
            c.tmp.joinpath("notes.txt").write_text("hello"),
            rt.create_study(storage=f"duckdb:///{c.tmp}/notes.txt"),
        ),
        "StorageError",
        "<tmp>/notes.txt is not a DuckDB database file; point the storage URL at a .duckdb file or a new path",
    ),
    Case(
        "URL-07",
        URLS,
        "a DuckDB file another process has open",
        lock_holder,
        "StorageLockedError",
        "DuckDB file <tmp>/held.duckdb is open in another process (PID <pid>); DuckDB allows one writer "
        "process — use PostgreSQL (postgresql+psycopg://...) for several processes, or wait for the other "
        "process to finish",
    ),
    Case(
        "URL-08",
        URLS,
        'SQLStorage("duckdb:///runs.duckdb", heartbeat_interval=5)',
        lambda c: _sql(c.url, heartbeat_interval=5),
        "ValidationError",
        "heartbeat_interval is for PostgreSQL: a DuckDB file has one process, which fails the trials a crashed "
        "run left RUNNING when it opens the file; drop heartbeat_interval",
    ),
    Case(
        "URL-09",
        URLS,
        'SQLStorage("postgresql+psycopg://...", heartbeat_interval=0)',
        lambda c: _sql("postgresql+psycopg://user:pw@127.0.0.1:1/db", heartbeat_interval=0),
        "ValidationError",
        "heartbeat_interval must be > 0 seconds or None, but got 0",
    ),
    Case(
        "URL-10",
        URLS,
        "postgresql+psycopg://user:pw@127.0.0.1:1/db (nothing listens there)",
        lambda c: _sql("postgresql+psycopg://user:pw@127.0.0.1:1/db"),
        "StorageConnectionError",
        "cannot reach PostgreSQL at 127.0.0.1:1 (Connection refused); start the server or fix host and port "
        "in the storage URL",
    ),
    Case(
        "URL-11",
        URLS,
        "a PostgreSQL URL whose database does not exist",
        lambda c: _sql(_pg(database="ragtune_no_such_db")),
        "StorageConnectionError",
        'PostgreSQL database "ragtune_no_such_db" does not exist at <pghost>; create it (createdb '
        "ragtune_no_such_db) or fix the database name in the storage URL",
        needs_postgres=True,
    ),
    Case(
        "URL-12",
        URLS,
        "a PostgreSQL URL whose user does not exist",
        lambda c: _sql(_pg(username="ragtune_ghost")),
        "StorageConnectionError",
        'PostgreSQL role "ragtune_ghost" does not exist at <pghost>; create it (createuser ragtune_ghost) or fix '
        "the user in the storage URL",
        needs_postgres=True,
    ),
    Case(
        "URL-13",
        URLS,
        'storage="postgresql+psycopg://user:pw@host:fivefourthreetwo/db" (a port that is not a number)',
        lambda c: rt.create_study(storage="postgresql+psycopg://user:pw@host:fivefourthreetwo/db"),
        "StorageURLError",
        f"cannot parse storage URL 'postgresql+psycopg://user:***@host:fivefourthreetwo/db'; use {SUPPORTED}",
    ),
    # -- pipeline files --------------------------------------------------------------------------
    Case(
        "FILE-01",
        FILE,
        "ragtune optimize nope.py (no such file)",
        lambda c: optimize(c, str(c.tmp / "nope.py")),
        "CLI",
        "pipeline file '<tmp>/nope.py' does not exist; pass the path of your pipeline .py file",
    ),
    Case(
        "FILE-02",
        FILE,
        "ragtune optimize my_folder/",
        lambda c: optimize(c, str(c.tmp)),
        "CLI",
        "'<tmp>' is a folder; pass the path of a pipeline .py file",
    ),
    Case(
        "FILE-03",
        FILE,
        "ragtune optimize pipeline.txt",
        lambda c: optimize(c, pipeline_file(c, "pipeline.txt", "x = 1\n")),
        "CLI",
        "pipeline file '<tmp>/pipeline.txt' is not a Python file; it must end in .py",
    ),
    Case(
        "FILE-04",
        FILE,
        "a pipeline file with a syntax error",
        lambda c: optimize(c, pipeline_file(c, "broken.py", "def pipeline(trial)\n    return 1\n")),
        "CLI",
        "<tmp>/broken.py:1:20: syntax error: expected ':'",
    ),
    Case(
        "FILE-05",
        FILE,
        "a pipeline file that raises while it is loaded",
        lambda c: optimize(c, pipeline_file(c, "raises.py", "x = 1\ny = x / 0\n")),
        "CLI",
        "<tmp>/raises.py:2: loading the file raised ZeroDivisionError: division by zero",
    ),
    Case(
        "FILE-06",
        FILE,
        "a pipeline file that is not UTF-8",
        lambda c: optimize(c, _latin1(c)),
        "CLI",
        "<tmp>/latin1.py: not UTF-8 text (invalid continuation byte at byte 8)",
    ),
    Case(
        "FILE-07",
        FILE,
        "a pipeline file without a pipeline function",
        lambda c: optimize(c, pipeline_file(c, "nofn.py", "dataset = 'python-docs'\n")),
        "CLI",
        "<tmp>/nofn.py defines no 'pipeline'; add def pipeline(trial): ... returning a Pipeline",
    ),
    Case(
        "FILE-08",
        FILE,
        "pipeline = 42",
        lambda c: optimize(c, pipeline_file(c, "notfn.py", "pipeline = 42\n")),
        "CLI",
        "<tmp>/notfn.py: 'pipeline' must be a function, but it is a int",
    ),
    Case(
        "FILE-09",
        FILE,
        "def pipeline(trial, extra)",
        lambda c: optimize(c, pipeline_file(c, "twoargs.py", "def pipeline(trial, extra):\n    pass\n")),
        "CLI",
        "<tmp>/twoargs.py: pipeline must take exactly one argument (the trial), but its signature is "
        "pipeline(trial, extra)",
    ),
    Case(
        "FILE-10",
        FILE,
        "a pipeline file without a dataset",
        lambda c: optimize(c, pipeline_file(c, "nodata.py", "def pipeline(trial):\n    pass\n")),
        "CLI",
        "<tmp>/nodata.py defines no 'dataset'; add dataset = ragtune.datasets.load('python-docs') or pass "
        "--dataset PATH",
    ),
    Case(
        "FILE-11",
        FILE,
        "dataset = 42",
        lambda c: optimize(
            c, pipeline_file(c, "baddata.py", "dataset = 42\ndef pipeline(trial):\n    pass\n")
        ),
        "CLI",
        "<tmp>/baddata.py: dataset must be an EvalSet (ragtune.datasets.load(...)) or a path, but got int",
    ),
    Case(
        "FILE-12",
        FILE,
        "objectives = 5",
        lambda c: optimize(c, pipeline_file(c, "badobj.py", TINY + "objectives = 5\n")),
        "CLI",
        "<tmp>/badobj.py: objectives must be a list of strings such as ['ndcg@10:max'], but got 5",
    ),
    Case(
        "FILE-13",
        FILE,
        "a pipeline function that returns 42 instead of a Pipeline",
        lambda c: optimize(
            c,
            pipeline_file(c, "wrong.py", TINY + "def pipeline(trial):\n    return 42\n"),
            "--study",
            "multi",
        ),
        "CLI",
        "trial 1 failed: ConfigError: pipeline(trial) must return a ragtune.pipelines.Pipeline, but returned int",
        records="one FAIL trial",
    ),
    Case(
        "FILE-14",
        FILE,
        'objectives = ["ndgc@10"] in the pipeline file',
        lambda c: optimize(c, pipeline_file(c, "typo.py", TINY + "objectives = ['ndgc@10']\n")),
        "CLI",
        f"unknown objective 'ndgc@10'; did you mean 'ndcg@10'? valid: {VALID_METRICS}",
    ),
    # -- the command line ------------------------------------------------------------------------
    Case(
        "CLI-01",
        CLI,
        "ragtune optimize tiny.py --objective ndgc@10",
        lambda c: optimize(c, tiny(c), "--objective", "ndgc@10"),
        "CLI",
        f"unknown objective 'ndgc@10'; did you mean 'ndcg@10'? valid: {VALID_METRICS}",
    ),
    Case(
        "CLI-02",
        CLI,
        "ragtune optimize tiny.py --constraint 'latency_p95_ms <== 3'",
        lambda c: optimize(c, tiny(c), "--constraint", "latency_p95_ms <== 3"),
        "CLI",
        "constraint 'latency_p95_ms <== 3' is malformed; expected '<metric> <op> <number>' with op one of "
        "<=, >=, <, > (e.g. 'latency_p95_ms <= 200')",
    ),
    Case(
        "CLI-03",
        CLI,
        "ragtune optimize tiny.py --workers 2 (DuckDB storage)",
        lambda c: optimize(c, tiny(c), "--workers", "2"),
        "CLI",
        "--workers 2 needs PostgreSQL storage: DuckDB allows one writer process; use --storage "
        "postgresql+psycopg://user@host/db, or drop --workers",
    ),
    Case(
        "CLI-21",
        CLI,
        "ragtune optimize tiny.py --executor ray (DuckDB storage)",
        lambda c: optimize(c, tiny(c), "--executor", "ray"),
        "CLI",
        "--executor ray needs PostgreSQL storage, which every node can reach, but got "
        "duckdb:///<tmp>/kept.duckdb; use --storage postgresql+psycopg://user@host:5432/db (DuckDB allows "
        "one process)",
    ),
    Case(
        "CLI-04",
        CLI,
        "ragtune optimize tiny.py --sampler grid (no grid in the file)",
        lambda c: optimize(c, tiny(c), "--sampler", "grid"),
        "CLI",
        "--sampler grid needs a `grid` dict in the pipeline file, e.g. grid = {'k': [5, 10], 'retriever': ['bm25']}",
    ),
    Case(
        "CLI-05",
        CLI,
        "ragtune optimize tiny.py --pruner pareto --objective ndcg@10",
        lambda c: optimize(c, tiny(c), "--pruner", "pareto", "--objective", "ndcg@10"),
        "CLI",
        "--pruner pareto needs several objectives; use --pruner asha or median with one",
    ),
    Case(
        "CLI-06",
        CLI,
        "ragtune optimize tiny.py --study kept (kept has other directions)",
        lambda c: optimize(c, tiny(c), "--study", "kept"),
        "CLI",
        "study 'kept' exists with directions ['minimize'], but ['maximize', 'minimize'] were given; use the "
        "same directions or another study name",
    ),
    Case(
        "CLI-07",
        CLI,
        "ragtune optimize tiny.py --study multi -o recall@5:max -o latency_p95_ms:min (other objectives)",
        lambda c: optimize(c, tiny(c), "--study", "multi", "-o", "recall@5:max", "-o", "latency_p95_ms:min"),
        "CLI",
        "study 'multi' was created with objectives ['ndcg@10', 'latency_p95_ms'], but ['recall@5', "
        "'latency_p95_ms'] were given; use the same objectives or another study name (--study)",
    ),
    Case(
        "CLI-08",
        CLI,
        "ragtune optimize tiny.py --dataset nowhere",
        lambda c: optimize(c, tiny(c), "--dataset", "nowhere"),
        "CLI",
        "unknown dataset 'nowhere': not a built-in name (python-docs) and no such path; pass one of the names or "
        "the path of a dataset folder",
    ),
    Case(
        "CLI-09",
        CLI,
        "ragtune optimize tiny.py --sampler annealing",
        lambda c: optimize(c, tiny(c), "--sampler", "annealing"),
        "usage",
        "Invalid value for '--sampler': Value error, 'annealing' is not one of 'tpe', 'nsga2', 'random', 'grid', 'qmc'.",
    ),
    Case(
        "CLI-10",
        CLI,
        "ragtune optimize tiny.py --n-trials -1",
        lambda c: c.cli("optimize", tiny(c), "--storage", c.url, "--n-trials", "-1"),
        "usage",
        "Invalid value for '--n-trials' / '-n': Input should be greater than or equal to 0",
    ),
    Case(
        "CLI-11",
        CLI,
        "ragtune best nope",
        lambda c: c.cli("best", "nope", "--storage", c.url),
        "CLI",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi'] (in DuckDB file <tmp>/kept.duckdb)",
    ),
    Case(
        "CLI-12",
        CLI,
        "ragtune studies show nope",
        lambda c: c.cli("studies", "show", "nope", "--storage", c.url),
        "CLI",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi'] (in DuckDB file <tmp>/kept.duckdb)",
    ),
    Case(
        "CLI-13",
        CLI,
        "ragtune studies delete nope --yes",
        lambda c: c.cli("studies", "delete", "nope", "--storage", c.url, "--yes"),
        "CLI",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi'] (in DuckDB file <tmp>/kept.duckdb)",
    ),
    Case(
        "CLI-14",
        CLI,
        "ragtune export nope",
        lambda c: c.cli("export", "nope", "--storage", c.url),
        "CLI",
        "no study named 'nope'; existing: ['empty', 'kept', 'multi'] (in DuckDB file <tmp>/kept.duckdb)",
    ),
    Case(
        "CLI-15",
        CLI,
        "ragtune tui --storage duckdb:///missing.duckdb",
        lambda c: c.cli("tui", "--storage", f"duckdb:///{c.tmp}/missing.duckdb"),
        "CLI",
        "no DuckDB file at <tmp>/missing.duckdb; check the path in --storage",
    ),
    Case(
        "CLI-16",
        CLI,
        "ragtune studies list --storage mysql://user:pw@host/db",
        lambda c: c.cli("studies", "list", "--storage", "mysql://user:pw@host/db"),
        "CLI",
        f"unknown storage URL scheme 'mysql' in 'mysql://user:***@host/db'; use {SUPPORTED.replace('password', '***')}",
    ),
    Case(
        "CLI-17",
        CLI,
        "ragtune export kept --output missing_folder/kept.csv",
        lambda c: c.cli("export", "kept", "--storage", c.url, "--output", f"{c.tmp}/none/kept.csv"),
        "CLI",
        "cannot write <tmp>/none/kept.csv: Cannot save file into a non-existent directory: '<tmp>/none'; "
        "check that the folder exists and is writable",
    ),
    Case(
        "CLI-18",
        CLI,
        "ragtune export kept --format parquet --output missing_folder/kept.parquet",
        lambda c: c.cli(
            "export",
            "kept",
            "--storage",
            c.url,
            "--format",
            "parquet",
            "--output",
            f"{c.tmp}/none/kept.parquet",
        ),
        "CLI",
        'cannot write <tmp>/none/kept.parquet: IO Error: Cannot open file "<tmp>/none/kept.parquet": '
        "No such file or directory; check that the folder exists and is writable",
    ),
    Case(
        "CLI-19",
        CLI,
        "ragtune cache clear --cache-dir some_file.txt --yes",
        lambda c: c.cli("cache", "clear", "--cache-dir", pipeline_file(c, "some_file.txt", "x"), "--yes"),
        "CLI",
        "cache folder <tmp>/some_file.txt is a file, not a folder; pass the cache folder (--cache-dir)",
    ),
    Case(
        "CLI-20",
        CLI,
        "ragtune serve-model notes.txt (not a GGUF model)",
        lambda c: c.cli("serve-model", pipeline_file(c, "notes.txt", "just text")),
        "CLI",
        "model file '<tmp>/notes.txt' is not a GGUF file (it starts with b'just', not b'GGUF'); "
        "pass a .gguf model (convert others with llama.cpp's convert_hf_to_gguf.py)",
    ),
    Case(
        "REPORT-01",
        REPORT,
        "ragtune report empty (a study with no trials)",
        lambda c: c.cli("report", "empty", "--storage", c.url, "-o", f"{c.tmp}/r.html"),
        "CLI",
        "study 'empty' has no trials; run some first (ragtune optimize ...)",
    ),
    Case(
        "REPORT-02",
        REPORT,
        "ragtune report kept -o missing_folder/r.html",
        lambda c: c.cli("report", "kept", "--storage", c.url, "-o", f"{c.tmp}/none/r.html"),
        "CLI",
        "cannot write the report to '<tmp>/none/r.html': folder '<tmp>/none' does not exist; "
        "create it or pass another -o",
    ),
    Case(
        "REPORT-03",
        REPORT,
        "ragtune report kept -o some_folder/",
        lambda c: c.cli("report", "kept", "--storage", c.url, "-o", str(c.tmp)),
        "CLI",
        "cannot write the report to '<tmp>': it is a directory; pass a file path with -o",
    ),
    Case(
        "REPORT-04",
        REPORT,
        "ragtune report kept -o some_file.txt/r.html (a path under a file)",
        lambda c: c.cli(
            "report", "kept", "--storage", c.url, "-o", pipeline_file(c, "f.txt", "x") + "/r.html"
        ),
        "CLI",
        "cannot write the report to '<tmp>/f.txt/r.html': Not a directory; pass a writable path with -o",
    ),
]


def _pipeline(*, k: int = 5, dense: bool = False, chunker: Any = None) -> Any:
    from ragtune.pipelines import Pipeline, chunkers, retrievers

    return Pipeline(
        chunker=chunker if chunker is not None else chunkers.Window(100),
        retriever=retrievers.Dense() if dense else retrievers.BM25(),
        k=k,
    )


def _gguf_reader(c: Ctx) -> Any:
    from ragtune.pipelines import readers

    path = c.tmp / "model.gguf"
    path.write_bytes(b"PK\x03\x04 a zip archive")
    return readers.GGUFGenerator(path)


def _sql(url: str, **kwargs: Any) -> Any:
    from ragtune.storage import SQLStorage

    return SQLStorage(url, **kwargs)


def _pg(**parts: str) -> str:
    import os

    import sqlalchemy as sa

    url = sa.make_url(os.environ["RAGTUNE_TEST_POSTGRES_URL"]).set(**parts)  # type: ignore[arg-type]
    return url.render_as_string(hide_password=False)


def _latin1(ctx: Ctx) -> str:
    path = ctx.tmp / "latin1.py"
    path.write_bytes("x = 'caf\xe9'\n".encode("latin-1"))
    return str(path)


# -- docs/errors.md ------------------------------------------------------------------------------

INTRO = """\
# Error catalogue

Every user mistake ragtune knows about, grouped by where it is made, with the exact message it gives.
Each entry is checked by `tests/errors/` — the test makes the mistake, compares the message character by
character, and checks that the stored studies are untouched (same studies, same trials, same values,
params and attributes before and after). This page is generated from `tests/errors/error_catalogue.py`
(`python tests/errors/error_catalogue.py > docs/errors.md`), so it cannot drift from what ragtune prints.

How errors reach you:

- **Python**: an exception from the tree in `ragtune.exceptions` (all subclass `RagtuneError`; the
  `ValidationError` family also subclasses `ValueError`, `StudyNotFound`/`TrialNotFound` subclass
  `KeyError`). Messages are one line that states the rule, echoes the bad value and says what to do.
- **Inside an objective**: the trial is stored as `FAIL` with `fail_reason` set to `"<ErrorType>: <message>"`,
  then the exception propagates out of `optimize()` (unless listed in `catch=`). A value the study cannot
  record (NaN, None, a string, a wrong count) does not raise: the trial is stored as `FAIL` with the
  message as its reason and the study goes on.
- **Command line**: one line on stderr, `error: <message>`, exit code 1; usage errors (an unknown choice,
  a negative count) are Typer's, exit code 2. `ragtune --debug ...` shows the full traceback. Passwords in
  storage URLs are shown as `***`.

Placeholders: `<tmp>` is the folder you ran in, `<pghost>` the PostgreSQL host:port, `<pid>` a process id.
Entries marked **open bug** describe what ragtune should print; today it prints a traceback instead.
Row-level dataset errors (every kind of bad JSONL/CSV/TSV row, with file and line) are listed with their
messages in `tests/datasets/test_dataset_errors.py`.
"""


def render() -> str:
    out = [INTRO]
    area = None
    for case in CASES:
        if case.area != area:
            area = case.area
            out.append(f"\n## {area}\n")
        out.append(f"\n### {case.id}: {case.mistake}\n")
        kind = {
            "CLI": "stderr, exit code 1",
            "usage": "usage error, exit code 2",
            "FAIL trial": "no exception: the trial is stored as FAIL with this reason",
        }.get(case.error, f"`{case.error}`")
        prefix = "error: " if case.error == "CLI" else ""
        out.append(f"\n{kind}:\n\n```text\n{prefix}{case.message}\n```\n")
        left = (
            "Stored data: untouched."
            if case.records == "nothing"
            else ("Stored data: earlier trials untouched; one new FAIL trial records the message.")
        )
        out.append(f"\n{left}\n")
        if case.bug:
            out.append(f"\n**Open bug**: {case.bug}.\n")
    return "".join(out)


if __name__ == "__main__":
    print(render(), end="")
