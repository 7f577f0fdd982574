"""The modal that shows the Python code replaying a chosen config with ``FixedTrial``."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

PIPELINE_FILE_ATTR = "ragtune:pipeline_file"
"""Study system attribute: the pipeline file ``ragtune optimize`` ran (absolute path)."""


def snippet_code(path: Path, pipeline_file: str | None = None) -> str:
    """The code that loads the config at ``path`` and builds the chosen pipeline from
    ``pipeline_file`` (the study's own file when known)."""
    module = Path(pipeline_file).stem if pipeline_file else "pipeline"
    where = pipeline_file or "your pipeline.py"
    if not module.isidentifier():
        module, where = "pipeline", f"{where}, copied to pipeline.py (its name is not a module name)"
    return (
        "import ragtune as rt\n"
        f"from {module} import dataset, pipeline  # from {where}\n"
        "\n"
        f"params = rt.load_config({str(path)!r})\n"
        "rag = pipeline(rt.FixedTrial(params))  # the chosen configuration\n"
        "index = rag.build_index(dataset.corpus)  # or your own documents\n"
        'result = rag.query(index, "your question")\n'
        "print(result.answer, result.doc_ranking[:3])\n"
    )


class SnippetScreen(ModalScreen[None]):
    """Shows the snippet; ``c`` copies it to the clipboard (where the terminal allows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("p", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(self, path: Path, *, chosen: bool, pipeline_file: str | None = None) -> None:
        super().__init__()
        self.code = snippet_code(path, pipeline_file)
        self.chosen = chosen
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(id="snippet-dialog"):
            yield Static("Use the chosen config in Python", id="snippet-title")
            yield Static(Syntax(self.code, "python", theme="ansi_dark", word_wrap=True), id="snippet-code")
            note = (
                f"{self.path} holds the chosen params."
                if self.chosen
                else f"No choice yet: press c on a trial first; it writes {self.path}."
            )
            yield Static(note, classes="dialog-hint", markup=False)
            yield Static("c copy · Esc close", classes="dialog-hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.code)
        self.notify("Snippet copied to the clipboard (if your terminal supports OSC 52).")

    def action_close(self) -> None:
        self.dismiss(None)
