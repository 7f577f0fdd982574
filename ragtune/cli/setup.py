"""Turn CLI choices into samplers, pruners, storages and a Tuner (shared by optimize and worker)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.exceptions import ConfigError

if TYPE_CHECKING:
    from ragtune.cli.pipeline_file import PipelineFile
    from ragtune.pruners.base import Pruner
    from ragtune.samplers.base import Sampler
    from ragtune.tuner import Tuner


class SamplerName(enum.StrEnum):
    tpe = "tpe"
    nsga2 = "nsga2"
    random = "random"
    grid = "grid"
    qmc = "qmc"


class PrunerName(enum.StrEnum):
    auto = "auto"
    none = "none"
    median = "median"
    asha = "asha"
    hyperband = "hyperband"
    pareto = "pareto"


def make_sampler(name: SamplerName, seed: int | None, namespace: dict[str, Any]) -> Sampler:
    from ragtune import samplers

    if name is SamplerName.grid:
        grid = namespace.get("grid")
        if not isinstance(grid, dict):
            raise ConfigError(
                "--sampler grid needs a `grid` dict in the pipeline file, e.g. grid = {'k': [5, 10], 'retriever': ['bm25']}"
            )
        return samplers.GridSampler(grid, seed=seed)
    classes = {
        SamplerName.tpe: "TPESampler",
        SamplerName.nsga2: "NSGAIISampler",
        SamplerName.random: "RandomSampler",
        SamplerName.qmc: "QMCSampler",
    }
    sampler: Sampler = getattr(samplers, classes[name])(seed=seed)
    return sampler


def make_pruner(name: PrunerName, n_objectives: int) -> Pruner | None:
    from ragtune import pruners

    if name is PrunerName.auto:
        return None  # the Tuner picks ASHA (one objective) or the Pareto pruner (several)
    table = {
        PrunerName.none: "NopPruner",
        PrunerName.median: "MedianPruner",
        PrunerName.asha: "SuccessiveHalvingPruner",
        PrunerName.hyperband: "HyperbandPruner",
        PrunerName.pareto: "ParetoPruner",
    }
    if name is PrunerName.pareto and n_objectives == 1:
        raise ConfigError("--pruner pareto needs several objectives; use --pruner asha or median with one")
    pruner: Pruner = getattr(pruners, table[name])()
    return pruner


def cache_dir_for(storage_url: str) -> Path:
    """The cache lives next to a DuckDB file, else in ./.ragtune/cache."""
    if storage_url.lower().startswith("duckdb:///"):
        db = Path(storage_url[len("duckdb:///") :])
        return db.parent / ".ragtune" / "cache"
    return Path(".ragtune") / "cache"


def build_tuner(
    pf: PipelineFile,
    *,
    storage_url: str,
    study: str,
    sampler: SamplerName,
    pruner: PrunerName,
    objectives: list[str] | None,
    constraints: list[str] | None,
    seed: int | None,
    cache: bool,
    max_questions: int | None = None,
    prices: tuple[float | None, float | None] = (None, None),
) -> Tuner:
    from ragtune.cli.prices import resolve_prices
    from ragtune.tuner import Tuner

    objs = objectives or pf.objectives
    cons = constraints if constraints else pf.constraints
    price = resolve_prices(pf.namespace, *prices)
    # The Tuner opens the storage after checking objectives and constraints, so a rejected spec
    # leaves no new, empty database file behind.
    return Tuner(
        pf.pipeline,
        pf.dataset,
        objectives=objs,
        constraints=cons,
        sampler=make_sampler(sampler, seed, pf.namespace),
        pruner=make_pruner(pruner, len(objs)),
        storage=storage_url,
        study_name=study,
        seed=seed,
        cache=cache_dir_for(storage_url) if cache else False,
        max_questions=max_questions,
        price_per_1k_input=price.per_1k_input,
        price_per_1k_output=price.per_1k_output,
    )
