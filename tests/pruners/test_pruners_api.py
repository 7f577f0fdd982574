"""The public API of ragtune.pruners is exactly its __all__."""

from __future__ import annotations

import ragtune as rt
import ragtune.pruners as pruners


def test_public_api_is_pinned() -> None:
    assert sorted(pruners.__all__) == [
        "HyperbandPruner",
        "MedianPruner",
        "NopPruner",
        "ParetoPruner",
        "PercentilePruner",
        "Pruner",
        "SuccessiveHalvingPruner",
    ]
    for name in pruners.__all__:
        assert getattr(rt.pruners, name) is getattr(pruners, name)
        if name != "Pruner":
            assert issubclass(getattr(pruners, name), pruners.Pruner)


def test_reprs_show_the_settings() -> None:
    assert repr(pruners.MedianPruner(n_startup_trials=3)).startswith("MedianPruner(n_startup_trials=3,")
    assert "percentile=25.0" in repr(pruners.PercentilePruner(25))
    assert "min_resource='auto'" in repr(pruners.SuccessiveHalvingPruner(min_resource="auto"))
    assert "max_resource=81" in repr(pruners.HyperbandPruner(max_resource=81))
    assert "rungs=(10, 30)" in repr(pruners.ParetoPruner(rungs=[30, 10]))
