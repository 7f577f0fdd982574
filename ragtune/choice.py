"""Record a chosen Pareto trade-off in storage and as a JSON config that :func:`load_config` replays.

The JSON file written by :func:`record_choice` (and by ``ragtune tui``) looks like::

    {
      "format": "ragtune-choice/1",
      "study": "rag-demo",
      "trial": 42,
      "params": {"chunk_size": 512, "retriever": "hybrid"},
      "objectives": {"ndcg@10": 0.61, "latency_p95_ms": 12.3},
      "directions": {"ndcg@10": "maximize", "latency_p95_ms": "minimize"},
      "metrics": {...},
      "chosen_at": "2025-01-01T12:00:00+00:00",
      "storage": "SQLStorage(duckdb:///ragtune.duckdb)"
    }

:func:`load_config` checks it and returns the ``params`` dict, ready for ``FixedTrial(params)``.
The same facts (without ``metrics``) are stored in the study's system attribute ``"ragtune:choice"``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.core.objective_names import objective_names
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ConfigError
from ragtune.objectives.results import trial_metrics

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = [
    "CHOICE_ATTR",
    "CHOICE_FORMAT",
    "default_choice_path",
    "load_config",
    "objective_names",
    "read_choice_file",
    "record_choice",
]

CHOICE_ATTR = "ragtune:choice"
"""Study system attribute that holds the latest choice (trial number, params, values, time, path)."""
CHOICE_FORMAT = "ragtune-choice/1"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SCALARS = (str, int, float, bool, type(None))


def default_choice_path(study_name: str, directory: Path | None = None) -> Path:
    """``ragtune-choice-<study>.json`` (relative: the current directory) with unsafe characters as ``_``."""
    safe = _UNSAFE.sub("_", study_name).strip("._") or "study"
    name = f"ragtune-choice-{safe}.json"
    return directory / name if directory is not None else Path(name)


def record_choice(study: Study, trial_number: int, *, path: str | os.PathLike[str] | None = None) -> Path:
    """Record trial ``trial_number`` of ``study`` as the chosen trade-off; return the JSON file written.

    The trial must be COMPLETE. The file is written atomically (default
    ``./ragtune-choice-<study>.json``), then the study's system attr ``"ragtune:choice"`` is set.
    """
    storage = study.storage
    study_id = storage.get_study_id_from_name(study.study_name)
    trial = storage.get_trial(storage.get_trial_id_from_number(study_id, trial_number))
    if trial.state is not TrialState.COMPLETE or trial.values is None:
        raise ConfigError(
            f"only a COMPLETE trial can be chosen, but trial {trial_number} is {trial.state.name}"
        )
    names = objective_names(study.directions, study.system_attrs)
    chosen_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    target = Path(path) if path is not None else default_choice_path(study.study_name)
    metrics = trial_metrics(trial)
    document: dict[str, Any] = {
        "format": CHOICE_FORMAT,
        "study": study.study_name,
        "trial": trial.number,
        "params": dict(trial.params),
        "objectives": dict(zip(names, trial.values, strict=True)),
        "directions": {n: d.label for n, d in zip(names, study.directions, strict=True)},
        "metrics": dict(metrics) if isinstance(metrics, Mapping) else {},
        "chosen_at": chosen_at.isoformat(),
        "storage": storage.describe(),
    }
    _write_json(target, document)
    record = {k: document[k] for k in ("trial", "params", "objectives", "chosen_at")}
    record["path"] = str(target.resolve())
    study.set_system_attr(CHOICE_ATTR, record)
    return target


def _write_json(target: Path, document: Mapping[str, Any]) -> None:
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(
            f"cannot write the choice file {str(target)!r}: directory {str(parent)!r} does not exist"
        )
    text = json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
    # A new file next to the target (created with the usual permissions), then an atomic rename.
    tmp = parent / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the choice file {str(target)!r}: {e.strerror or e}") from e


def read_choice_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a choice file; return the whole document. Every problem is a one-line ConfigError."""
    p = Path(path)
    where = f"choice file {str(p)!r}"
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist; write one with `ragtune tui` (key c)") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a directory, but a JSON file is expected") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where} cannot be read: {e}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"{where} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{where} must hold a JSON object, but got {type(doc).__name__}")
    _check_document(doc, where)
    return doc


def _check_document(doc: Mapping[str, Any], where: str) -> None:
    missing = [k for k in ("study", "trial", "params", "objectives") if k not in doc]
    if missing:
        raise ConfigError(
            f"{where} lacks {', '.join(repr(k) for k in missing)}; is it a ragtune choice file?"
        )
    fmt = doc.get("format", CHOICE_FORMAT)
    if fmt != CHOICE_FORMAT:
        raise ConfigError(f"{where} has format {fmt!r}, but this ragtune reads {CHOICE_FORMAT!r}")
    if not isinstance(doc["study"], str) or not doc["study"]:
        raise ConfigError(f"{where}: 'study' must be a non-empty string, but got {doc['study']!r}")
    trial = doc["trial"]
    if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
        raise ConfigError(f"{where}: 'trial' must be an integer >= 0, but got {trial!r}")
    params = doc["params"]
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: 'params' must be an object, but got {type(params).__name__}")
    for name, value in params.items():
        if not isinstance(value, _SCALARS):
            raise ConfigError(
                f"{where}: param {name!r} must be a string, number, boolean or null, but got {value!r}"
            )
    objectives = doc["objectives"]
    if not isinstance(objectives, dict) or not objectives:
        raise ConfigError(f"{where}: 'objectives' must be a non-empty object of name -> number")
    for name, value in objectives.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{where}: objective {name!r} must be a finite number, but got {value!r}")


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The params of a chosen trial, from a file written by ``ragtune tui`` or :func:`record_choice`.

    ``FixedTrial(load_config("ragtune-choice-demo.json"))`` replays the chosen configuration.
    """
    return dict(read_choice_file(path)["params"])
