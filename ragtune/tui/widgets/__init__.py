"""Widgets of the ragtune TUI: trial table, scatter plot, trial detail pane, error bar."""

from __future__ import annotations

from ragtune.tui.widgets.error_bar import ErrorBar
from ragtune.tui.widgets.scatter_plot import ScatterPlot
from ragtune.tui.widgets.trial_detail import TrialDetail
from ragtune.tui.widgets.trial_table import TrialTable

__all__ = ["ErrorBar", "ScatterPlot", "TrialDetail", "TrialTable"]
