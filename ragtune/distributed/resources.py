"""Per-trial resource requests for Ray tasks, settable from the pipeline file.

In a pipeline file::

    trial_resources = {"cpus": 2, "gpus": 0.5, "memory_mb": 4096, "accelerator_big": 1}

``cpus`` and ``gpus`` are Ray's ``num_cpus``/``num_gpus`` (fractions allowed), ``memory_mb`` Ray's
``memory`` in MiB; any other key is a custom Ray resource (``ray start --resources``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ragtune.exceptions import ConfigError

_KNOWN = ("cpus", "gpus", "memory_mb")


@dataclass(frozen=True, slots=True)
class TrialResources:
    """What one trial asks Ray for (default: one CPU)."""

    cpus: float = 1.0
    gpus: float = 0.0
    memory_mb: float | None = None
    custom: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, where: str = "trial_resources") -> TrialResources:
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"{where} must be a dict such as {{'cpus': 1, 'gpus': 0.5}}, but got {type(raw).__name__}"
            )
        values: dict[str, float] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not key:
                raise ConfigError(f"{where}: keys must be resource names, but got {key!r}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"{where}[{key!r}] must be a number, but got {value!r}")
            if value < 0:
                raise ConfigError(f"{where}[{key!r}] must be >= 0, but got {value!r}")
            values[key] = float(value)
        custom = {k: v for k, v in values.items() if k not in _KNOWN}
        for alias in ("num_cpus", "num_gpus", "memory", "CPU", "GPU"):
            if alias in custom:
                raise ConfigError(
                    f"{where}: use 'cpus', 'gpus' and 'memory_mb' instead of {alias!r} "
                    "(other keys are custom Ray resources)"
                )
        return cls(
            cpus=values.get("cpus", 1.0),
            gpus=values.get("gpus", 0.0),
            memory_mb=values.get("memory_mb"),
            custom=custom,
        )

    def ray_options(self) -> dict[str, Any]:
        """Keyword arguments for a Ray task's ``.options()``."""
        out: dict[str, Any] = {"num_cpus": self.cpus, "num_gpus": self.gpus}
        if self.memory_mb is not None:
            out["memory"] = int(self.memory_mb * 1024 * 1024)
        if self.custom:
            out["resources"] = dict(self.custom)
        return out

    def check_against(self, cluster: Mapping[str, float]) -> None:
        """A request the whole cluster cannot meet would wait forever: say so instead."""
        wanted = {"CPU": self.cpus, "GPU": self.gpus, **self.custom}
        for name, amount in wanted.items():
            have = float(cluster.get(name, 0.0))
            if amount > have:
                label = {"CPU": "cpus", "GPU": "gpus"}.get(name, name)
                raise ConfigError(
                    f"each trial asks Ray for {amount:g} {name} but the cluster has {have:g}; lower "
                    f"trial_resources[{label!r}] in the pipeline file or add nodes that have it"
                )

    def __str__(self) -> str:
        parts = [f"cpus={self.cpus:g}", f"gpus={self.gpus:g}"]
        if self.memory_mb is not None:
            parts.append(f"memory_mb={self.memory_mb:g}")
        parts += [f"{k}={v:g}" for k, v in self.custom.items()]
        return ", ".join(parts)
