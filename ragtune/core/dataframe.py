"""Trials as a pandas DataFrame (pandas is imported only when this is used)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd


def trials_to_dataframe(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> pd.DataFrame:
    """Columns: number, state, value or values_0.., datetimes, duration, params_*, user_attrs_*,
    constraints, fail_reason; one row per trial, ordered by number."""
    import pandas as pd

    m = len(directions)
    rows: list[dict[str, Any]] = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        vals = t.values if t.values is not None else (None,) * m
        if m == 1:
            row["value"] = vals[0]
        else:
            for i, v in enumerate(vals):
                row[f"values_{i}"] = v
        row["datetime_start"] = t.datetime_start
        row["datetime_complete"] = t.datetime_complete
        row["duration"] = t.duration
        for k, v in t.params.items():
            row[f"params_{k}"] = v
        for k, v in t.user_attrs.items():
            row[f"user_attrs_{k}"] = v
        row["constraints"] = t.constraints
        row["fail_reason"] = t.fail_reason
        rows.append(row)
    return pd.DataFrame(rows)
