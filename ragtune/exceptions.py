"""The one exception tree every ragtune error comes from.

::

    RagtuneError
    ├── ValidationError (ValueError)            bad arguments or user input
    │   ├── DistributionError                   a distribution that cannot exist (low > high, ...)
    │   ├── DistributionConflictError           one name suggested with two incompatible distributions
    │   ├── DirectionError                      an unknown direction string
    │   ├── ObjectiveValueError                 objective returned NaN, inf, a wrong count or a non-number
    │   ├── ConfigError                         a pipeline file, objective or constraint spec that is wrong
    │   ├── DatasetError                        a dataset file that cannot be read (names file and line)
    │   └── ReportError                         a report with nothing to show, or a path it cannot write
    ├── NoCompletedTrials (ValueError)          best_trial asked before any (feasible) trial completed
    ├── StudyNotFound (KeyError)                no study of that name in the storage
    ├── DuplicatedStudyError                    a study of that name exists already
    ├── StudyDirectionsMismatch                 the stored study has other directions / objectives
    ├── TrialNotFound (KeyError)                no trial with that id or number
    ├── UpdateFinishedTrialError (RuntimeError) a finished trial was written to again
    ├── StorageError                            the storage backend failed
    │   ├── StorageURLError (ValueError)        a storage URL that cannot be used
    │   ├── StorageConnectionError              the server cannot be reached or refuses us
    │   └── StorageLockedError                  a DuckDB file already open in another process
    ├── MissingDependencyError (ImportError)    an optional extra is not installed
    ├── ExecutorError                           the Ray cluster cannot be reached or loses its workers
    ├── CacheError                              the content-addressed cache failed
    ├── StageError                              a pipeline stage failed
    │   └── GeneratorError                      an LLM server failed after retries
    └── TrialPruned                             raised by user code to prune the current trial

Messages state the rule and echo the bad value: "low must be <= high, but got low=3, high=1".
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "ConfigError",
    "DatasetError",
    "DirectionError",
    "DistributionConflictError",
    "DistributionError",
    "DuplicatedStudyError",
    "ExecutorError",
    "GeneratorError",
    "MissingDependencyError",
    "NoCompletedTrials",
    "ObjectiveValueError",
    "RagtuneError",
    "ReportError",
    "StageError",
    "StorageConnectionError",
    "StorageError",
    "StorageLockedError",
    "StorageURLError",
    "StudyDirectionsMismatch",
    "StudyNotFound",
    "TrialNotFound",
    "TrialPruned",
    "UpdateFinishedTrialError",
    "ValidationError",
]


class RagtuneError(Exception):
    """Base class of every error ragtune raises on purpose."""

    def __str__(self) -> str:
        # KeyError subclasses would otherwise print their message in quotes.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class ValidationError(RagtuneError, ValueError):
    """An argument or a piece of user input breaks a rule."""


class DistributionError(ValidationError):
    """A distribution's parameters cannot describe a search space."""


class DistributionConflictError(ValidationError):
    """The same parameter name was suggested with two incompatible distributions."""


class DirectionError(ValidationError):
    """A direction string is neither "minimize" nor "maximize"."""


class ObjectiveValueError(ValidationError):
    """The objective returned a value a study cannot record."""


class ConfigError(ValidationError):
    """A pipeline file, objective spec or constraint expression is wrong."""


class DatasetError(ValidationError):
    """A dataset file is missing or malformed; the message names file and line."""


class ReportError(ValidationError):
    """A report cannot be made (no completed trial) or written (the output path)."""


class NoCompletedTrials(RagtuneError, ValueError):
    """A best trial was asked for, but no (feasible) trial has completed yet."""


class StudyNotFound(RagtuneError, KeyError):
    """No study of that name exists in the storage."""


class DuplicatedStudyError(RagtuneError):
    """A study of that name exists already (pass load_if_exists=True to reuse it)."""


class StudyDirectionsMismatch(RagtuneError):
    """The stored study was created with other directions or objectives."""


class TrialNotFound(RagtuneError, KeyError):
    """No trial with that id or number."""


class UpdateFinishedTrialError(RagtuneError, RuntimeError):
    """A finished trial (COMPLETE, PRUNED or FAIL) cannot be changed."""


class StorageError(RagtuneError):
    """The storage backend failed."""


class StorageURLError(StorageError, ValueError):
    """A storage URL has an unknown scheme or cannot be parsed."""


class StorageConnectionError(StorageError):
    """The database server cannot be reached or refused the credentials."""


class StorageLockedError(StorageError):
    """The DuckDB file is held by another process."""


class MissingDependencyError(RagtuneError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""


class ExecutorError(RagtuneError):
    """The Ray cluster cannot be reached, or its workers keep dying."""


class CacheError(RagtuneError):
    """The content-addressed cache could not be read or written."""


class StageError(RagtuneError):
    """A pipeline stage failed."""


class GeneratorError(StageError):
    """An LLM server did not answer successfully after the configured retries."""


class TrialPruned(RagtuneError):
    """Raise inside an objective to stop the current trial as PRUNED."""
