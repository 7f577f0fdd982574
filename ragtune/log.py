"""ragtune's logger: a NullHandler on the "ragtune" logger; the root logger is never configured."""

from __future__ import annotations

import logging

logger = logging.getLogger("ragtune")
logger.addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """A child of the "ragtune" logger."""
    return logger.getChild(name.removeprefix("ragtune."))


def enable_console_logging(level: int = logging.INFO) -> None:
    """Opt-in: print ragtune's log records to stderr (the CLI calls this; libraries should not)."""
    if not any(getattr(h, "_ragtune_console", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[ragtune %(levelname)s] %(message)s"))
        handler._ragtune_console = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
