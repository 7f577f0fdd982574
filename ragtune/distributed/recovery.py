"""Trials whose Ray task died or was cancelled: fail them at once and re-queue them once.

This is the storage's own stale-trial rule (``fail_stale_trials``: FAIL, then one WAITING copy with
the same params marked ``requeued_from``), triggered by Ray's task failure instead of a missed
heartbeat, whichever comes first: ``finish_trial`` is atomic, so when the heartbeat sweep of another
worker got there first, this does nothing, and the trial is never re-queued twice.
"""

from __future__ import annotations

from collections.abc import Collection

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.distributed.job import RAY_TASK_ATTR
from ragtune.exceptions import UpdateFinishedTrialError
from ragtune.log import get_logger
from ragtune.storage.base import Storage
from ragtune.storage.bookkeeping import requeue_template

_log = get_logger("ray")


def running_trials_of(storage: Storage, study_id: int, tokens: Collection[str]) -> dict[str, FrozenTrial]:
    """The RUNNING trials whose Ray task token is in ``tokens``, by token."""
    found: dict[str, FrozenTrial] = {}
    for t in storage.get_all_trials(study_id, states=(TrialState.RUNNING,)):
        token = t.system_attrs.get(RAY_TASK_ATTR)
        if token in tokens:
            found[str(token)] = t
    return found


def fail_trial(
    storage: Storage, study_id: int, trial: FrozenTrial, reason: str, *, requeue: bool
) -> int | None:
    """FAIL ``trial`` (if still RUNNING) and queue one copy of it; return the copy's number, if any."""
    try:
        storage.finish_trial(trial.trial_id, TrialState.FAIL, fail_reason=reason)
    except UpdateFinishedTrialError:
        return None  # finished meanwhile (its task told, or a heartbeat sweep failed it first)
    template = requeue_template(trial) if requeue and storage.requeue_failed else None
    if template is None:
        _log.warning("trial %d failed: %s", trial.number, reason)
        return None
    copy = storage.create_new_trial(study_id, template)
    _log.warning("trial %d failed: %s; re-queued as trial %d", trial.number, reason, copy.number)
    return copy.number
