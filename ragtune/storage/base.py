"""The small contract every storage backend fulfils (in-memory, DuckDB, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState


@dataclass(frozen=True, slots=True)
class StudySummary:
    """What a study listing shows."""

    study_id: int
    study_name: str
    directions: tuple[StudyDirection, ...]
    n_trials: int
    user_attrs: Mapping[str, Any]
    datetime_start: dt.datetime | None
    system_attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TrialsDelta:
    """What changed since ``cursor``: trials that finished since then, and all unfinished ones."""

    finished: Sequence[FrozenTrial]
    unfinished: Sequence[FrozenTrial]
    cursor: int


class Storage(ABC):
    """Persistence for studies and trials.

    Contract: thread-safe; trial numbers are unique and gap-free per study; a finished trial is
    immutable (writing to it raises :class:`~ragtune.exceptions.UpdateFinishedTrialError`); a
    returned :class:`FrozenTrial` never changes later.
    """

    #: Seconds between heartbeats of running trials; ``None`` disables liveness tracking.
    heartbeat_interval: float | None = None
    #: Whether the failed trial of a dead worker is re-queued once as WAITING.
    requeue_failed: bool = True

    # -- studies ---------------------------------------------------------------------------
    @abstractmethod
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int: ...

    @abstractmethod
    def delete_study(self, study_id: int) -> None: ...

    @abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int: ...

    @abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str: ...

    @abstractmethod
    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]: ...

    @abstractmethod
    def get_all_studies(self) -> list[StudySummary]: ...

    @abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]: ...

    # -- trials ----------------------------------------------------------------------------
    @abstractmethod
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        """Create a trial (RUNNING, or the template's state, e.g. WAITING) with the next number."""

    @abstractmethod
    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it (None if none)."""

    @abstractmethod
    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None: ...

    @abstractmethod
    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None: ...

    @abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abstractmethod
    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None: ...

    @abstractmethod
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        """Move a RUNNING trial to a finished state, atomically; return its final snapshot."""

    @abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial: ...

    @abstractmethod
    def get_trial_id_from_number(self, study_id: int, number: int) -> int: ...

    @abstractmethod
    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """All trials of a study ordered by number (optionally only those in ``states``)."""

    @abstractmethod
    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        """Trials finished after ``cursor`` (in finishing order) plus every unfinished trial."""

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, states=states))

    # -- liveness --------------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the worker running ``trial_id`` is alive (no-op where unsupported)."""

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Fail RUNNING trials whose heartbeat is older than twice the interval; re-queue them."""
        return []

    def close(self) -> None:
        """Release connections and file handles."""

    def describe(self) -> str:
        """A human-readable location with any password masked."""
        return type(self).__name__
