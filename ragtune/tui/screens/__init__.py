"""Screens of the ragtune TUI: study picker, study (main), and the modal dialogs."""

from __future__ import annotations

from ragtune.tui.screens.confirm_choice import ChoiceRequest, ConfirmChoiceScreen
from ragtune.tui.screens.help import HelpScreen
from ragtune.tui.screens.snippet import SnippetScreen
from ragtune.tui.screens.study_picker import StudyPickerScreen
from ragtune.tui.screens.study_screen import StudyScreen

__all__ = [
    "ChoiceRequest",
    "ConfirmChoiceScreen",
    "HelpScreen",
    "SnippetScreen",
    "StudyPickerScreen",
    "StudyScreen",
]
