"""Curves and CurveCache: array answers equal a plain loop; the cache survives views of other studies."""

from __future__ import annotations

import numpy as np

import ragtune as rt
from ragtune.core.directions import StudyDirection
from ragtune.pruners.curves import CurveCache, Curves
from ragtune.samplers import RandomSampler


def _study(seed: int, n: int) -> rt.Study:
    rng = np.random.default_rng(seed)
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=seed))
    for i in range(n):
        t = study.ask()
        steps = sorted(rng.choice(np.arange(1, 30), size=int(rng.integers(0, 6)), replace=False).tolist())
        for s in steps:  # per-question scores with the even steps
            scores = [[float(s), 1.0], [s + 0.5, 2.0]] if s % 2 == 0 else None
            t.report([float(rng.normal()), float(rng.normal())], s, scores=scores)
        if i % 4 != 3:
            study.tell(t, state=rt.TrialState.PRUNED if i % 3 == 0 else rt.TrialState.FAIL)
    return study


def _loop_last_at_or_before(study: rt.Study, view: rt.core.trials_view.TrialsView, step: int) -> list[float]:
    out = []
    for t in view.trials:
        earlier = [s for s in t.intermediate_values if s <= step]
        out.append(-t.intermediate_values[max(earlier)][0] if earlier else np.nan)
    return out


def test_queries_match_a_python_loop() -> None:
    study = _study(0, 40)
    view = study.trials_view()
    curves = CurveCache(with_scores=False).curves(view)
    assert curves.numbers.tolist() == [t.number for t in view.trials]
    for step in (0, 1, 5, 17, 29, 100):
        idx = curves.last_at_or_before(step)
        got = np.where(idx >= 0, curves.losses[np.maximum(idx, 0), 0], np.nan)
        assert np.allclose(got, _loop_last_at_or_before(study, view, step), equal_nan=True)
        first = curves.first_at_or_after(step)
        for row, t in enumerate(view.trials):
            later = [s for s in t.intermediate_values if s >= step]
            assert (first[row] >= 0) == bool(later)
            if later:
                assert curves.steps[first[row]] == min(later)
                assert curves.losses[first[row], 1] == t.intermediate_values[min(later)][1]
    scored = CurveCache(with_scores=True).curves(view)
    assert any(r is not None for r in scored.scores) and any(r is None for r in scored.scores)
    for row, t in enumerate(view.trials):  # each report's per-question rows, as reported
        steps = scored.steps[scored.offsets[row] : scored.offsets[row + 1]]
        reported = scored.scores[scored.offsets[row] : scored.offsets[row + 1]]
        assert list(reported) == [t.intermediate_scores.get(int(s)) for s in steps]


def test_cache_handles_growing_older_and_foreign_views() -> None:
    a, b = _study(1, 12), _study(2, 9)
    cache = CurveCache(with_scores=True)
    old_view = a.trials_view()
    first = cache.curves(old_view)
    for _ in range(5):
        t = a.ask()
        t.report([1.0, 2.0], 3, scores=[[1.0, 2.0], [1.0, 2.0]])
        a.tell(t, [1.0, 2.0])
    new_view = a.trials_view()
    fresh = Curves.from_trials(new_view.trials, new_view.directions, with_scores=True)
    for view, expected in (
        (new_view, fresh),
        (old_view, first),  # an older view from another thread
        (
            b.trials_view(),
            Curves.from_trials(b.trials_view().trials, b.directions, with_scores=True),
        ),  # another study
        (new_view, fresh),
    ):
        got = cache.curves(view)
        for field in ("numbers", "states", "offsets", "steps", "losses", "full", "score_n", "score_sd"):
            assert np.array_equal(getattr(got, field), getattr(expected, field), equal_nan=True), field
        assert list(got.scores) == list(expected.scores)


def test_single_values_and_scores_in_a_multi_objective_study() -> None:
    from ragtune.core.frozen_trial import FrozenTrial

    trial = FrozenTrial(
        number=0,
        state=rt.TrialState.RUNNING,
        intermediate_values={2: (0.5,), 1: (0.25, 3.0)},
        intermediate_scores={2: ((0.0,), (1.0,)), 1: ((0.25, 3.0),)},
    )
    c = Curves.from_trials([trial], (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE), with_scores=True)
    assert c.steps.tolist() == [1, 2]
    assert c.losses.tolist() == [[-0.25, 3.0], [-0.5, 0.5]]
    assert c.full.tolist() == [True, False]
    assert c.score_n.tolist() == [[1, 1], [2, 2]]
    assert np.isnan(c.score_sd[0]).all() and np.allclose(c.score_sd[1], np.sqrt(0.5))
