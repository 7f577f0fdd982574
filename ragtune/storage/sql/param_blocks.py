"""A study's params decoded from numpy columns, one block per define-by-run path.

Whole-study loads (DuckDB, PostgreSQL) fetch params as three columns sorted by trial: trial id, the
number of the param's (name, distribution) pair, and the internal value. Trials whose cells list
the same pairs in the same order took the same path through the search space; each such block is
decoded a column at a time by its distribution, not a cell at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ragtune.storage.records import distribution
from ragtune.storage.sql.loading import Records


def fill_params(
    records: Records,
    kinds: Sequence[Any],
    trial_ids: NDArray[np.int64],
    kind_ids: NDArray[np.int64],
    values: NDArray[np.float64],
) -> None:
    """Each trial's params from cells sorted by trial: (trial id, kind number, internal value);
    ``kinds[k]`` is the (name, distribution JSON) pair numbered ``k``.

    Trials whose cells list the same kinds in the same order (one per path through a define-by-run
    space) form a block of shape (trials, params); each column is decoded by its distribution at
    once, and each trial's dicts are built from its row of the block.
    """
    names = [str(name) for name, _ in kinds]
    dists = [distribution(text) for _, text in kinds]
    starts = np.flatnonzero(np.r_[True, trial_ids[1:] != trial_ids[:-1]])
    ends = np.r_[starts[1:], len(trial_ids)]
    signature = kind_ids.astype(np.int32).tobytes()
    width = np.dtype(np.int32).itemsize
    paths: defaultdict[bytes, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        paths[signature[a * width : b * width]].append(i)
    for path, members in paths.items():
        kind_of = np.frombuffer(path, dtype=np.int32).tolist()
        keys = [names[k] for k in kind_of]
        path_dists = {names[k]: dists[k] for k in kind_of}
        first = starts[members]
        block = values[first[:, None] + np.arange(len(kind_of))]
        externals = [dists[k].to_external_many(block[:, j]) for j, k in enumerate(kind_of)]
        for tid, internals, params in zip(
            trial_ids[first].tolist(), block.tolist(), zip(*externals, strict=True), strict=True
        ):
            rec = records.get(tid)
            if rec is None:
                continue
            rec.params = dict(zip(keys, params, strict=True))
            if rec.unfinished:  # it will be written again: it keeps its own containers
                rec.internals = dict(zip(keys, internals, strict=True))
                rec.distributions = dict(path_dists)
            else:  # never changes again: the path's distributions are shared, internals not kept
                rec.distributions = path_dists
