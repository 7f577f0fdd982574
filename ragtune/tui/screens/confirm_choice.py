"""The modal that confirms a chosen trade-off and asks where to write the config (typed result)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


@dataclass(frozen=True, slots=True)
class ChoiceRequest:
    """What the user confirmed: the trial, and the JSON file to write."""

    trial_number: int
    path: Path


class ConfirmChoiceScreen(ModalScreen[ChoiceRequest | None]):
    """Dismisses with a :class:`ChoiceRequest`, or ``None`` when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, trial_number: int, study_name: str, facts: Sequence[str], default_path: Path) -> None:
        super().__init__()
        self.trial_number = trial_number
        self.study_name = study_name
        self.facts = list(facts)
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Choose trial #{self.trial_number} of study {self.study_name!r}?", id="dialog-title")
            yield Static("\n".join(self.facts), id="dialog-facts", markup=False)
            yield Label("Write the chosen config (JSON) to:")
            yield Input(str(self.default_path), id="choice-path")
            yield Static(
                "The choice is also recorded in the study (system attr 'ragtune:choice').",
                classes="dialog-hint",
            )
            with Horizontal(id="dialog-buttons"):
                yield Button("Choose", id="confirm", variant="success")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def _result(self) -> ChoiceRequest:
        text = self.query_one("#choice-path", Input).value.strip()
        path = Path(text).expanduser() if text else self.default_path
        return ChoiceRequest(self.trial_number, path)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._result() if event.button.id == "confirm" else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._result())

    def action_cancel(self) -> None:
        self.dismiss(None)
