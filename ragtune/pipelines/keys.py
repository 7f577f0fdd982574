"""Content keys: the corpus fingerprint at the root, and sha256 keys of (stage, params, input key)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ragtune.datasets.types import Document
from ragtune.pipelines.stage import Stage

__all__ = ["canonical_json", "content_key", "corpus_fingerprint", "safe_segment", "stage_key", "text_digest"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _feed(h: Any, text: str) -> None:
    # Length-prefix every field so ("ab", "c") and ("a", "bc") never collide.
    data = text.encode("utf-8")
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def corpus_fingerprint(docs: Iterable[Document]) -> str:
    """sha256 over the ordered ids, titles and texts of ``docs`` (order matters: it fixes chunk order)."""
    h = hashlib.sha256(b"ragtune-corpus-v1")
    for doc in docs:
        _feed(h, doc.id)
        _feed(h, doc.title)
        _feed(h, doc.text)
    return h.hexdigest()


def content_key(*parts: str) -> str:
    """sha256 of several strings, each length-prefixed."""
    h = hashlib.sha256(b"ragtune-key-v1")
    for part in parts:
        _feed(h, part)
    return h.hexdigest()


def stage_key(
    stage: Stage, input_key: str | Sequence[str], *, params: Mapping[str, Any] | None = None
) -> str:
    """sha256 of (stage kind, version, canonical params JSON, key(s) of its input).

    ``params`` replaces the stage's full params when only some of them shape this output (BM25's index
    depends on its tokenizer, not on k1 and b).
    """
    inputs = [input_key] if isinstance(input_key, str) else list(input_key)
    dumped = stage.params.model_dump(mode="json") if params is None else dict(params)
    return content_key(stage.kind, stage.version, canonical_json(dumped), *inputs)


def text_digest(text: str) -> bytes:
    """The 32-byte sha256 of one text: the per-model embedding cache is keyed by it."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def safe_segment(name: str) -> str:
    """``name`` made safe as one path segment (stage kinds name cache folders)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return cleaned or "_"
