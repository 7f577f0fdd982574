"""Run trials beyond one machine: :class:`RayExecutor` places them on a Ray cluster.

Needs the ``ray`` extra (``pip install 'ragtune[ray]'``) and PostgreSQL storage. Importing this
package does not import ray.
"""

from __future__ import annotations

from ragtune.distributed.ray_executor import RayExecutor
from ragtune.distributed.resources import TrialResources

__all__ = ["RayExecutor", "TrialResources"]
