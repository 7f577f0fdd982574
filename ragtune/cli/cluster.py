"""``ragtune optimize --executor ray``: the options, checked before anything is loaded or created."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from ragtune.exceptions import ConfigError

if TYPE_CHECKING:
    from ragtune.cli.pipeline_file import PipelineFile
    from ragtune.distributed import RayExecutor


class ExecutorName(enum.StrEnum):
    local = "local"
    ray = "ray"


ExecutorOpt = Annotated[
    ExecutorName,
    typer.Option("--executor", help="Where trials run: here (local) or as tasks on a Ray cluster (ray)."),
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster HOST:PORT (as `ray start --head` prints it), 'auto', or ray://...; default: "
        "RAY_ADDRESS, else a local Ray started for this run.",
    ),
]


def make_executor(
    executor: ExecutorName, storage: str, ray_address: str | None, workers: int | None
) -> RayExecutor | None:
    """The RayExecutor for ``--executor ray`` (PostgreSQL checked first); None for local runs."""
    if executor is ExecutorName.local:
        if ray_address is not None:
            raise ConfigError("--ray-address applies to --executor ray; add --executor ray or drop it")
        return None
    from ragtune.distributed import RayExecutor
    from ragtune.distributed.ray_executor import require_postgres

    require_postgres(storage)
    ray_executor = RayExecutor(address=ray_address, workers=workers)
    ray_executor.precheck()  # ray installed, the cluster listening: before any study is created
    return ray_executor


def with_file_resources(executor: RayExecutor, pf: PipelineFile) -> RayExecutor:
    """Take ``trial_resources`` from the pipeline file (when it sets them)."""
    from ragtune.distributed import TrialResources

    raw = pf.namespace.get("trial_resources")
    if raw is not None:
        executor.resources = TrialResources.parse(raw, where=f"{pf.path}: trial_resources")
    return executor


__all__ = ["ExecutorName", "ExecutorOpt", "RayAddressOpt", "make_executor", "with_file_resources"]
