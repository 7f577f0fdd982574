"""Study-level helpers that work on a storage: list names, copy a study (as in Optuna)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ragtune.core.frozen_trial import FrozenTrial

if TYPE_CHECKING:
    from ragtune.storage.base import Storage


def _storage(storage: Storage | str) -> Storage:
    from ragtune.storage import get_storage

    return get_storage(storage)


def get_all_study_names(storage: Storage | str) -> list[str]:
    """Names of every study in ``storage``, in creation order."""
    return [s.study_name for s in _storage(storage).get_all_studies()]


def copy_study(
    *,
    from_study_name: str,
    from_storage: Storage | str,
    to_storage: Storage | str,
    to_study_name: str | None = None,
) -> None:
    """Copy a study (directions, study attrs, every trial with its attrs, reports, per-question
    scores and constraints) to another storage, under ``to_study_name`` (default: the same name).

    A study being optimised is copied as it is now: its RUNNING trials stay RUNNING in the copy
    (started at the time of the copy).
    Trial numbers are kept when the copy is new (trials are added in number order).
    """
    src = _storage(from_storage)
    dst = _storage(to_storage)
    sid = src.get_study_id_from_name(from_study_name)
    new_id = dst.create_new_study(src.get_study_directions(sid), to_study_name or from_study_name)
    for key, value in src.get_study_user_attrs(sid).items():
        dst.set_study_user_attr(new_id, key, value)
    for key, value in src.get_study_system_attrs(sid).items():
        dst.set_study_system_attr(new_id, key, value)
    for t in src.get_all_trials(sid):
        dst.create_new_trial(new_id, _template(t))


def _template(t: FrozenTrial) -> FrozenTrial:
    return FrozenTrial(
        number=-1,
        state=t.state,
        values=t.values,
        params=dict(t.params),
        distributions=dict(t.distributions),
        user_attrs=copy.deepcopy(dict(t.user_attrs)),
        system_attrs=copy.deepcopy(dict(t.system_attrs)),
        intermediate_values=dict(t.intermediate_vectors),
        intermediate_scores=dict(t.intermediate_scores),
        constraints=t.constraints,
        datetime_start=t.datetime_start,
        datetime_complete=t.datetime_complete,
        fail_reason=t.fail_reason,
    )
