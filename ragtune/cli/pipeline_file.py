"""Load a user's pipeline file by convention: ``pipeline``, ``dataset``, ``objectives``, ``constraints``.

The pipeline file is user code: loading it runs it, with the user's permissions.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragtune.datasets.types import EvalSet
from ragtune.exceptions import ConfigError, RagtuneError


@dataclass(slots=True)
class PipelineFile:
    path: Path
    pipeline: Callable[..., Any]
    dataset: EvalSet
    objectives: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)


def _exec(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(
            f"pipeline file {str(path)!r} does not exist; pass the path of your pipeline .py file"
        )
    if path.is_dir():
        raise ConfigError(f"{str(path)!r} is a folder; pass the path of a pipeline .py file")
    if path.suffix != ".py":
        raise ConfigError(f"pipeline file {str(path)!r} is not a Python file; it must end in .py")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as e:
        raise ConfigError(f"{path}:{e.lineno}:{e.offset}: syntax error: {e.msg}") from None
    name = f"ragtune_user_pipeline_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = path.parent.resolve()
    sys.path.insert(0, str(folder))
    cwd = os.getcwd()
    try:
        # Relative paths the file uses while it loads (rt.datasets.from_files("my_eval/")) are
        # relative to the file, not to where ragtune was started.
        os.chdir(folder)
        exec(code, module.__dict__)
    except RagtuneError as e:
        raise ConfigError(f"{path}: {e}") from e
    except Exception as e:
        line = _user_line(e, str(path))
        raise ConfigError(f"{path}{line}: loading the file raised {type(e).__name__}: {e}") from e
    finally:
        os.chdir(cwd)
        sys.path.remove(str(folder))
    return module.__dict__


def _relative_to(pipeline_file: Path, value: str) -> str:
    """A dataset path written in a pipeline file is relative to the file (a name such as
    ``"python-docs"`` stays a name)."""
    candidate = pipeline_file.parent / value
    return str(candidate) if not Path(value).is_absolute() and candidate.exists() else value


def _user_line(e: BaseException, filename: str) -> str:
    tb = e.__traceback__
    line = ""
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def _string_list(ns: dict[str, Any], name: str, path: Path) -> list[str] | None:
    value = ns.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) or hasattr(v, "metric") for v in value):
        return [v if isinstance(v, str) else str(v) for v in value]
    raise ConfigError(f"{path}: {name} must be a list of strings such as ['ndcg@10:max'], but got {value!r}")


def load_pipeline_file(
    path: str | Path,
    *,
    pipeline_name: str = "pipeline",
    dataset: str | None = None,
) -> PipelineFile:
    """Run the file and pick up its conventional names (with precise errors)."""
    p = Path(path)
    ns = _exec(p)
    fn = ns.get(pipeline_name)
    if fn is None:
        raise ConfigError(
            f"{p} defines no {pipeline_name!r}; add def {pipeline_name}(trial): ... returning a Pipeline"
        )
    if not callable(fn):
        raise ConfigError(f"{p}: {pipeline_name!r} must be a function, but it is a {type(fn).__name__}")
    try:
        sig = inspect.signature(fn)
        sig.bind(object())
    except TypeError:
        raise ConfigError(
            f"{p}: {pipeline_name} must take exactly one argument (the trial), but its signature is "
            f"{pipeline_name}{inspect.signature(fn)}"
        ) from None
    from ragtune.datasets import load

    if dataset is not None:
        evalset = load(dataset)
    else:
        value = ns.get("dataset")
        if value is None:
            raise ConfigError(
                f"{p} defines no 'dataset'; add dataset = ragtune.datasets.load('python-docs') or pass --dataset PATH"
            )
        evalset = load(_relative_to(p, value)) if isinstance(value, str) else value
        if not isinstance(evalset, EvalSet):
            raise ConfigError(
                f"{p}: dataset must be an EvalSet (ragtune.datasets.load(...)) or a path, but got {type(value).__name__}"
            )
    return PipelineFile(
        path=p,
        pipeline=fn,
        dataset=evalset,
        objectives=_string_list(ns, "objectives", p) or ["ndcg@10"],
        constraints=_string_list(ns, "constraints", p) or [],
        namespace=ns,
    )
