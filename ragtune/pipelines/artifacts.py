"""The cache's entry file format: named parts (npy arrays, npz sparse matrices, JSON) with sha256 checksums.

An entry file is::

    b"RTC1\\n" | header length (8 bytes, little endian) | sha256 of the header (32 bytes) | header JSON | parts

The header lists every part's name, format (``npy`` via ``np.save``, ``npz`` via
``scipy.sparse.save_npz``, ``json``), byte size and sha256, plus free-form metadata. Nothing is pickled:
arrays load with ``allow_pickle=False``. A truncated or altered file fails :func:`decode_entry` with
:class:`CorruptEntry`, never a partial result.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp

__all__ = ["Artifact", "Artifacts", "CorruptEntry", "decode_entry", "encode_entry", "write_atomic"]

Artifact: TypeAlias = Any
"""A numpy array, a scipy sparse matrix/array, or a JSON-serialisable value."""
Artifacts: TypeAlias = Mapping[str, Artifact]

MAGIC = b"RTC1\n"
_PREFIX = len(MAGIC) + 8 + 32


class CorruptEntry(Exception):
    """An entry file failed its checksum, size or format check."""


def _encode_part(value: Artifact) -> tuple[str, bytes]:
    buf = io.BytesIO()
    if isinstance(value, np.ndarray):
        np.save(buf, value, allow_pickle=False)
        return "npy", buf.getvalue()
    if sp.issparse(value):
        sp.save_npz(buf, value, compressed=False)
        return "npz", buf.getvalue()
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "json", text.encode("utf-8")


def _decode_part(fmt: str, payload: bytes) -> Artifact:
    if fmt == "npy":
        return np.load(io.BytesIO(payload), allow_pickle=False)
    if fmt == "npz":
        return sp.load_npz(io.BytesIO(payload))
    if fmt == "json":
        return json.loads(payload.decode("utf-8"))
    raise CorruptEntry(f"unknown part format {fmt!r}")


def encode_entry(artifacts: Artifacts, meta: Mapping[str, Any]) -> bytes:
    """Serialise named parts and metadata into one self-checking byte string."""
    parts: list[dict[str, Any]] = []
    payloads: list[bytes] = []
    for name, value in artifacts.items():
        fmt, payload = _encode_part(value)
        parts.append(
            {"name": name, "format": fmt, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
        )
        payloads.append(payload)
    header = json.dumps({"meta": dict(meta), "parts": parts}, separators=(",", ":")).encode("utf-8")
    return b"".join(
        [MAGIC, len(header).to_bytes(8, "little"), hashlib.sha256(header).digest(), header, *payloads]
    )


def decode_entry(data: bytes) -> tuple[dict[str, Artifact], dict[str, Any]]:
    """Parse and verify an entry; raise :class:`CorruptEntry` on any mismatch."""
    if len(data) < _PREFIX or not data.startswith(MAGIC):
        raise CorruptEntry("missing magic or truncated prefix")
    header_len = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    header_sha = data[len(MAGIC) + 8 : _PREFIX]
    header = data[_PREFIX : _PREFIX + header_len]
    if len(header) != header_len or hashlib.sha256(header).digest() != header_sha:
        raise CorruptEntry("header checksum mismatch")
    try:
        parsed = json.loads(header.decode("utf-8"))
        parts = parsed["parts"]
        meta = dict(parsed["meta"])
    except (ValueError, KeyError, TypeError) as e:
        raise CorruptEntry(f"unreadable header: {e}") from e
    offset = _PREFIX + header_len
    if offset + sum(int(p["size"]) for p in parts) != len(data):
        raise CorruptEntry("size mismatch (truncated or extended)")
    out: dict[str, Artifact] = {}
    for part in parts:
        payload = data[offset : offset + int(part["size"])]
        offset += int(part["size"])
        if hashlib.sha256(payload).hexdigest() != part["sha256"]:
            raise CorruptEntry(f"checksum mismatch in part {part['name']!r}")
        try:
            out[str(part["name"])] = _decode_part(str(part["format"]), payload)
        except (ValueError, OSError, EOFError) as e:
            raise CorruptEntry(f"undecodable part {part['name']!r}: {e}") from e
    return out, meta


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temp file in ``path``'s folder, then ``os.replace`` it into place.

    Readers see either no file or a complete one; two writers of the same path both leave a complete
    file, and the last rename wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
