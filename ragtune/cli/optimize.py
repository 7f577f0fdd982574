"""``ragtune optimize PIPELINE.py``: validate, run trials with a progress bar, print the front."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ragtune.cli.best import front_table
from ragtune.cli.cache import cache_line
from ragtune.cli.cluster import ExecutorName, ExecutorOpt, RayAddressOpt, make_executor, with_file_resources
from ragtune.cli.common import DEFAULT_STORAGE, JsonOpt, StorageOpt, print_json, trial_record
from ragtune.cli.errors import CliState, reported_errors, usage_error
from ragtune.cli.pipeline_file import load_pipeline_file
from ragtune.cli.prices import PriceInOpt, PriceOutOpt, price_args
from ragtune.cli.setup import PrunerName, SamplerName, build_tuner
from ragtune.core.failures import failure_location, failure_reason, group_failures, one_line
from ragtune.core.objective_names import study_objective_names
from ragtune.core.progress import TrialProgress
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ConfigError, RagtuneError
from ragtune.storage.urls import mask_url, url_scheme

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.study import Callback, Study
    from ragtune.tuner import Tuner

DEFAULT_N_TRIALS = 20

PipelineArg = Annotated[
    Path,
    typer.Argument(metavar="PIPELINE.py", help="Your pipeline file (defines pipeline, dataset, objectives)."),
]
StudyOpt = Annotated[
    str | None, typer.Option("--study", metavar="NAME", help="Study name (default: the file name).")
]
TrialsOpt = Annotated[
    int | None,
    typer.Option(
        "--n-trials",
        "-n",
        min=0,
        metavar="N",
        help="How many trials to run now; on a resumed study, this many more (default 20; no limit with --timeout only).",
    ),
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", min=0, metavar="SECONDS", help="Stop starting trials after S seconds."),
]
SamplerOpt = Annotated[SamplerName, typer.Option("--sampler", help="Search algorithm.")]
PrunerOpt = Annotated[PrunerName, typer.Option("--pruner", help="Early stopping on partial eval sets.")]
ObjectiveOpt = Annotated[
    list[str] | None,
    typer.Option("--objective", "-o", metavar="SPEC", help="Objective such as ndcg@10:max (repeatable)."),
]
ConstraintOpt = Annotated[
    list[str] | None,
    typer.Option("--constraint", "-c", metavar="EXPR", help="Constraint such as 'latency_p95_ms <= 200'."),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Random seed for the sampler and question order.")
]
DatasetOpt = Annotated[
    str | None,
    typer.Option("--dataset", metavar="PATH|NAME", help="Override the file's dataset (path or name)."),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Do not reuse cached chunks/embeddings/indexes.")
]
MaxQOpt = Annotated[
    int | None, typer.Option("--max-questions", min=1, help="Evaluate on the first N questions.")
]


FailFastOpt = Annotated[
    bool,
    typer.Option(
        "--fail-fast",
        help="Stop at the first failed trial (default: store it as FAIL with its reason and go on).",
    ),
]


def optimize(
    pipeline_file: PipelineArg,
    study: StudyOpt = None,
    storage: StorageOpt = DEFAULT_STORAGE,
    n_trials: TrialsOpt = None,
    timeout: TimeoutOpt = None,
    sampler: SamplerOpt = SamplerName.tpe,
    pruner: PrunerOpt = PrunerName.auto,
    objective: ObjectiveOpt = None,
    constraint: ConstraintOpt = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes, or Ray tasks at once (PostgreSQL only)."),
    ] = None,
    executor: ExecutorOpt = ExecutorName.local,
    ray_address: RayAddressOpt = None,
    seed: SeedOpt = None,
    dataset: DatasetOpt = None,
    no_cache: NoCacheOpt = False,
    max_questions: MaxQOpt = None,
    fail_fast: FailFastOpt = False,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Tune the pipeline in PIPELINE.py; running it again on the same study resumes it.

    A trial that fails (a stage rule, an exception in pipeline()) is stored as FAIL with its reason
    and the run goes on. Exit code 0 when at least one trial of this run completed (or was pruned),
    1 when every trial failed or on an error.
    """
    if n_trials is None and timeout is None:
        n_trials = DEFAULT_N_TRIALS
    with reported_errors():
        ray_executor = make_executor(executor, storage, ray_address, workers)
        workers = 1 if ray_executor is not None else workers or 1
        if workers > 1 and url_scheme(storage) != "postgresql":
            raise ConfigError(
                f"--workers {workers} needs PostgreSQL storage: DuckDB allows one writer process; use "
                "--storage postgresql+psycopg://user@host/db, or drop --workers"
            )
        pf = load_pipeline_file(pipeline_file, dataset=dataset)
        study_name = study or pipeline_file.stem
        tuner = build_tuner(
            pf,
            storage_url=storage,
            study=study_name,
            sampler=sampler,
            pruner=pruner,
            objectives=objective,
            constraints=constraint,
            seed=seed,
            cache=not no_cache,
            max_questions=max_questions,
            prices=(price_in, price_out),
        )
        if ray_executor is not None:
            tuner.executor = with_file_resources(ray_executor, pf)
        s = tuner.study
        s.set_system_attr("ragtune:pipeline_file", str(pipeline_file.resolve()))  # the TUI's snippet
        names = list(study_objective_names(s))
        console = Console(stderr=True, soft_wrap=True)
        history = s.trials
        before = len(history)
        progress = TrialProgress(n_trials, names, s.directions, enabled=not as_json, history=history)
        if not as_json:
            console.print(
                escape(
                    f"study {study_name} in {mask_url(storage)}: objectives {', '.join(names)}; "
                    f"{len(tuner.evaluator.questions)} questions in rungs {tuner.evaluator.rungs}"
                ),
                highlight=False,
            )
            if before:
                best = progress.summary().partition("| best ")[2] or "none feasible yet"
                more = f"running {n_trials} more" if n_trials is not None else "running more"
                limit = f" for up to {timeout:g} s" if timeout is not None else ""
                console.print(
                    escape(
                        f"resuming study {study_name} in {mask_url(storage)}: {before} trials done, "
                        f"best {best}; {more}{limit} (--n-trials counts new trials)"
                    ),
                    highlight=False,
                )
        if workers > 1:
            options = WorkerOptions(
                pipeline_file=pipeline_file,
                storage=storage,
                study=study_name,
                workers=workers,
                n_trials=n_trials,
                timeout=timeout,
                sampler=sampler,
                pruner=pruner,
                objectives=tuple(objective or ()),
                constraints=tuple(constraint or ()),
                seed=seed,
                dataset=dataset,
                max_questions=max_questions,
                no_cache=no_cache,
                extra_args=tuple(price_args(price_in, price_out)),
            )
            _run_workers(options, s, names, show=not as_json)
        else:
            from ragtune.storage.sql.duckdb_watch import live_snapshots

            # Other processes can read the study meanwhile (ragtune best/studies/export/tui).
            with progress, live_snapshots(s.storage) as publish:
                _run_here(tuner, n_trials, timeout, [progress, publish], fail_fast, before, storage)
        trials = s.trials
        new = [t for t in trials if t.number >= before]
        front = s.best_trials
        all_failed = bool(new) and all(t.state is TrialState.FAIL for t in new)
        if as_json:
            print_json(
                {
                    "study": study_name,
                    "storage": mask_url(storage),
                    "objectives": names,
                    "n_trials": len(trials),
                    "new_trials": len(new),
                    "states": {st.name: sum(t.state is st for t in trials) for st in TrialState},
                    "failures": [
                        {"reason": g.reason, "at": g.location, "trials": g.numbers}
                        for g in group_failures(new)
                    ],
                    "stopped_early": tuner.stopped_early.line() if tuner.stopped_early else None,
                    "pareto_front": [trial_record(t, names) for t in front],
                }
            )
            if all_failed:
                raise typer.Exit(1)
            return
        out = Console(soft_wrap=True)
        if front:
            out.print(front_table(f"Pareto front ({len(front)} of {len(trials)} trials)", front, names))
        else:
            out.print("no completed feasible trial yet")
        _print_failures(console, new, tuner.stopped_early is not None)
        out.print(
            escape(
                f"results stored in {mask_url(storage)} (study {study_name!r}); "
                f"see them with: ragtune best {study_name} / ragtune tui {study_name}"
            ),
            highlight=False,
        )
        cache = tuner.evaluator.cache
        if cache is not None:
            out.print(escape(cache_line(cache.root)), highlight=False)
        if all_failed:
            raise typer.Exit(1)


def _run_here(
    tuner: Tuner,
    n_trials: int | None,
    timeout: float | None,
    callbacks: list[Callback],
    fail_fast: bool,
    before: int,
    storage: str,
) -> None:
    try:
        tuner.optimize(
            n_trials=n_trials,
            timeout=timeout,
            callbacks=callbacks,
            catch=() if fail_fast else (Exception,),
        )
    except (RagtuneError, KeyboardInterrupt):
        raise
    except Exception as e:
        if not fail_fast or CliState.debug:
            raise
        kept = tuner.study.storage.get_n_trials(
            tuner.study.storage.get_study_id_from_name(tuner.study.study_name)
        )
        failed = [t for t in tuner.study.trials if t.number >= before and t.state is TrialState.FAIL]
        number = failed[-1].number if failed else kept - 1
        typer.echo(
            f"error: {one_line(number, failure_reason(e), failure_location(e))}; stopped by --fail-fast, "
            f"{kept} trials kept in {mask_url(storage)}",
            err=True,
        )
        raise typer.Exit(1) from None


def _print_failures(console: Console, new: list[FrozenTrial], stopped: bool) -> None:
    """The run's failures grouped by reason; when every trial failed, one closing ``error:`` line."""
    groups = group_failures(new)
    if not groups:
        return
    n_failed = sum(len(g.numbers) for g in groups)
    early = "; stopped early, the rest of the budget was not used" if stopped else ""
    if len(new) == 1:
        g = groups[0]
        console.print(escape(f"error: {one_line(g.numbers[0], g.reason, g.location)}"), highlight=False)
        return
    if n_failed == len(new) and len(groups) == 1:
        console.print(
            escape(f"error: all {n_failed} trials of this run failed: {groups[0].line()}{early}"),
            highlight=False,
        )
        return
    head = f"{n_failed} of {len(new)} trials of this run failed{early}:"
    if n_failed == len(new):
        head = "error: all " + head.removeprefix(f"{n_failed} of ")
    console.print(escape(head), highlight=False)
    for g in groups:
        console.print(escape("  " + g.line()), highlight=False)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """What ``ragtune optimize --workers N`` hands to each ``ragtune worker`` process it starts."""

    pipeline_file: Path
    storage: str
    study: str
    workers: int
    n_trials: int | None
    timeout: float | None
    sampler: SamplerName
    pruner: PrunerName
    objectives: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    seed: int | None = None
    dataset: str | None = None
    max_questions: int | None = None
    no_cache: bool = False
    extra_args: tuple[str, ...] = ()

    def shares(self) -> list[int | None]:
        """Trials per worker: ``n_trials`` split as evenly as possible (None: no count, run to the timeout)."""
        n, w = self.n_trials, self.workers
        return [None] * w if n is None else [n // w + (i < n % w) for i in range(w)]

    def command(self, i: int, n_trials: int | None) -> list[str]:
        """The command line of worker ``i`` (the storage URL is not on it: it goes in the environment)."""
        cmd = [sys.executable, "-m", "ragtune", "worker", str(self.pipeline_file), "--study", self.study]
        cmd += ["--sampler", self.sampler.value, "--pruner", self.pruner.value, "--quiet"]
        if n_trials is not None:
            cmd += ["--n-trials", str(n_trials)]
        if self.timeout is not None:
            cmd += ["--timeout", str(self.timeout)]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed + i)]
        for o in self.objectives:
            cmd += ["--objective", o]
        for c in self.constraints:
            cmd += ["--constraint", c]
        if self.dataset is not None:
            cmd += ["--dataset", self.dataset]
        if self.max_questions is not None:
            cmd += ["--max-questions", str(self.max_questions)]
        if self.no_cache:
            cmd += ["--no-cache"]
        return cmd + list(self.extra_args)


def _run_workers(options: WorkerOptions, s: Study, names: list[str], *, show: bool) -> None:
    procs = []
    for i, share in enumerate(options.shares()):
        cmd = options.command(i, share)
        # The storage URL travels in the environment (RAGTUNE_STORAGE), never on the command line
        # where `ps` would show its password to every local user.
        procs.append(subprocess.Popen(cmd, env={**os.environ, "RAGTUNE_STORAGE": options.storage}))
    # Progress from the trials that finished since the last poll (not a re-read of the whole study).
    study_id = s.storage.get_study_id_from_name(s.study_name)
    cursor = s.storage.read_trials_since(study_id, 0).cursor
    with TrialProgress(options.n_trials, names, s.directions, enabled=show) as progress:
        while True:
            alive = any(p.poll() is None for p in procs)
            delta = s.storage.read_trials_since(study_id, cursor)
            cursor = delta.cursor
            for t in delta.finished:
                progress(s, t)
            if not alive:
                break
            time.sleep(0.5)
    codes = [p.returncode for p in procs]
    if any(codes):
        raise ConfigError(
            f"{sum(1 for c in codes if c)} of {options.workers} workers failed (exit codes {codes})"
        )


def register(app: typer.Typer) -> None:
    app.command("optimize")(optimize)


__all__ = ["optimize", "register", "usage_error"]
