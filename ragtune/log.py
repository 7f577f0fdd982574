"""ragtune's logger ("ragtune") and its default handler.

Warnings are visible by default: a handler on the "ragtune" logger prints records to stderr as
``[ragtune WARNING] ...`` unless the application configured logging itself (the root logger has a
handler and records propagate to it), in which case the application's handlers alone decide. The
root logger is never configured. Public control: :mod:`ragtune.logging` (``set_verbosity``, ...);
the CLI keeps the default (warnings) and prints each trial's outcome itself.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger("ragtune")


class _DefaultHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (so a live progress display that redirects stderr
    shows the line above itself), and steps aside when the application configured the root logger."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("[ragtune %(levelname)s] %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if logger.propagate and logging.getLogger().handlers:
            return
        try:
            stream = sys.stderr
            if stream is None:
                return
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


default_handler = _DefaultHandler()
logger.addHandler(default_handler)
# With the default handler disabled, this keeps Python's last-resort handler from printing instead.
logger.addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """A child of the "ragtune" logger."""
    return logger.getChild(name.removeprefix("ragtune."))


def enable_console_logging(level: int = logging.INFO) -> None:
    """Print ragtune's records at ``level`` and above to stderr, even when the root logger has
    handlers of its own (a shortcut for tests and scripts)."""
    logger.setLevel(level)
    logger.propagate = False
    if default_handler not in logger.handlers:
        logger.addHandler(default_handler)
