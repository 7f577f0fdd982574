"""GGUF model files: a format check with a clear error, a content fingerprint, and loading xllamacpp.

The fingerprint (sha256 of the file) is the model's identity in the LLM-call cache, so replacing a
model file, even under the same name, misses. Hashing a 250 MB file takes about a second; it is done
once per process per (path, size, mtime).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from ragtune.exceptions import ConfigError, MissingDependencyError

__all__ = ["INSTALL_HINT", "check_gguf", "gguf_fingerprint", "import_xllamacpp", "server_params"]

INSTALL_HINT = "install the llm extra: pip install 'ragtune[llm]'"
_MAGIC = b"GGUF"
_LOCK = threading.Lock()
_FINGERPRINTS: dict[tuple[str, int, int], str] = {}


def check_gguf(path: str | os.PathLike[str]) -> Path:
    """The resolved path of a readable GGUF file, or a ConfigError naming the file and the fix."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(f"model file {str(p)!r} does not exist; pass the path of a .gguf model file")
    if p.is_dir():
        raise ConfigError(f"model path {str(p)!r} is a folder; pass the path of a .gguf model file")
    try:
        with p.open("rb") as handle:
            head = handle.read(4)
    except OSError as e:
        raise ConfigError(f"cannot read model file {str(p)!r}: {e.strerror}") from None
    if head != _MAGIC:
        raise ConfigError(
            f"model file {str(p)!r} is not a GGUF file (it starts with {head!r}, not b'GGUF'); "
            "pass a .gguf model (convert others with llama.cpp's convert_hf_to_gguf.py)"
        )
    return p.resolve()


def gguf_fingerprint(path: str | os.PathLike[str]) -> str:
    """sha256 (hex) of the model file's bytes, memoised per (path, size, mtime)."""
    p = Path(path).resolve()
    st = p.stat()
    memo_key = (str(p), st.st_size, st.st_mtime_ns)
    with _LOCK:
        found = _FINGERPRINTS.get(memo_key)
    if found is not None:
        return found
    h = hashlib.sha256()
    with p.open("rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            h.update(block)
    digest = h.hexdigest()
    with _LOCK:
        _FINGERPRINTS[memo_key] = digest
    return digest


def import_xllamacpp() -> Any:
    """The ``xllamacpp`` module, or MissingDependencyError with the install hint."""
    try:
        import xllamacpp
    except ImportError as e:
        raise MissingDependencyError(f"cannot import xllamacpp ({e}); {INSTALL_HINT}") from e
    return xllamacpp


def server_params(path: Path, *, n_ctx: int, threads: int, port: int = 0, alias: str = "") -> Any:
    """xllamacpp ``CommonParams`` for one model on 127.0.0.1 (``port=0``: a free port)."""
    xllamacpp = import_xllamacpp()
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.port = port
    params.hostnames = ["127.0.0.1"]
    params.verbosity = 0
    params.warmup = False
    if alias:
        params.model_alias = {alias}
    return params
