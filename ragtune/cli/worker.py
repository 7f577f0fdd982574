"""``ragtune worker``: join a running study from another process or machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ragtune.cli.common import DEFAULT_STORAGE, StorageOpt
from ragtune.cli.errors import reported_errors
from ragtune.cli.optimize import (
    ConstraintOpt,
    DatasetOpt,
    MaxQOpt,
    NoCacheOpt,
    ObjectiveOpt,
    PipelineArg,
    PrunerOpt,
    SeedOpt,
    TimeoutOpt,
    TrialsOpt,
)
from ragtune.cli.pipeline_file import load_pipeline_file
from ragtune.cli.prices import PriceInOpt, PriceOutOpt
from ragtune.cli.setup import PrunerName, SamplerName, build_tuner
from ragtune.core.objective_names import study_objective_names
from ragtune.core.progress import TrialProgress


def worker(
    pipeline_file: PipelineArg,
    study: Annotated[str, typer.Option("--study", help="Name of the study to join.")],
    storage: StorageOpt = DEFAULT_STORAGE,
    n_trials: TrialsOpt = None,
    timeout: TimeoutOpt = None,
    sampler: Annotated[SamplerName, typer.Option("--sampler")] = SamplerName.tpe,
    pruner: PrunerOpt = PrunerName.auto,
    objective: ObjectiveOpt = None,
    constraint: ConstraintOpt = None,
    seed: SeedOpt = None,
    dataset: DatasetOpt = None,
    no_cache: NoCacheOpt = False,
    max_questions: MaxQOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run trials of STUDY (created by ragtune optimize or here) until N trials or the timeout."""
    with reported_errors():
        pf = load_pipeline_file(pipeline_file, dataset=dataset)
        tuner = build_tuner(
            pf,
            storage_url=storage,
            study=study,
            sampler=sampler,
            pruner=pruner,
            objectives=objective,
            constraints=constraint,
            seed=seed,
            cache=not no_cache,
            max_questions=max_questions,
            prices=(price_in, price_out),
        )
        s = tuner.study
        with TrialProgress(
            n_trials, list(study_objective_names(s)), s.directions, enabled=not quiet
        ) as progress:
            tuner.optimize(n_trials=n_trials, timeout=timeout, callbacks=[progress])


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


__all__ = ["Path", "register", "worker"]
