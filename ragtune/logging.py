"""Control ragtune's log output, in the style of ``optuna.logging``.

By default ragtune prints warnings (a failed trial, a study stopped early, ...) to stderr, and
nothing below that. ``set_verbosity(ragtune.logging.INFO)`` also prints each finished trial;
``disable_default_handler()`` silences ragtune's own handler (records still reach the handlers of
your application's root logger while propagation is on). When the root logger has handlers,
ragtune's handler steps aside so that nothing is printed twice.
"""

from __future__ import annotations

import logging as _std

from ragtune.log import default_handler as _handler
from ragtune.log import logger as _logger

CRITICAL = _std.CRITICAL
ERROR = _std.ERROR
WARNING = _std.WARNING
INFO = _std.INFO
DEBUG = _std.DEBUG


def set_verbosity(level: int) -> None:
    """Show ragtune's records at ``level`` and above (``ragtune.logging.INFO``, ``WARNING``, ...)."""
    _logger.setLevel(level)


def get_verbosity() -> int:
    """The level ragtune's records must reach to be shown (``WARNING`` by default)."""
    return _logger.getEffectiveLevel()


def enable_default_handler() -> None:
    """Print ragtune's records to stderr (on by default)."""
    if _handler not in _logger.handlers:
        _logger.addHandler(_handler)


def disable_default_handler() -> None:
    """Stop printing ragtune's records to stderr (your own handlers still get them)."""
    _logger.removeHandler(_handler)


def enable_propagation() -> None:
    """Pass ragtune's records on to the root logger's handlers (on by default)."""
    _logger.propagate = True


def disable_propagation() -> None:
    """Keep ragtune's records away from the root logger's handlers."""
    _logger.propagate = False


__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "INFO",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_verbosity",
    "set_verbosity",
]
