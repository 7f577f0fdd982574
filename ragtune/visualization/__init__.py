"""Charts of a study as figure objects (SVG) for notebooks, files and ``ragtune report``.

``plot_history``, ``plot_pareto_front``, ``plot_param_importances``, ``plot_slice`` and
``plot_parallel_coordinate`` take a study and return a :class:`Figure`: Jupyter shows it inline,
``fig.save("x.svg")`` writes it. The SVG is drawn by ragtune itself (no plotting dependency), so
reports open offline and stay small. ``write_report(study, "report.html")`` is ``ragtune report``.
"""

from __future__ import annotations

from ragtune.visualization.figure import Figure
from ragtune.visualization.history import plot_history
from ragtune.visualization.param_plots import (
    importances_per_objective,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
)
from ragtune.visualization.pareto_plots import plot_pareto_front
from ragtune.visualization.report_writers import write_report
from ragtune.visualization.study_data import StudyData

__all__ = [
    "Figure",
    "StudyData",
    "importances_per_objective",
    "plot_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_slice",
    "write_report",
]
