"""Rankings per index on disk: every question's ranking per opened-index configuration, shared by processes.

The cache's in-memory memo of retrievals (per (index, question)) dies with its process. This module
keeps them in one cache entry per index configuration (label ``retrievals/index``, key: the index
identity), so a second study on the same cache folder, or another worker sharing it, ranks no
question a first one ranked. An entry holds the question texts, each one's depth, positions,
scores, the seconds the retrieval took (replayed in timings, as the memo does) and, when the index
has an embedder, the query vectors (rerankers read them).

Entries only grow: :func:`save_retrievals` merges what a process ranked into what is on disk under
the entry's cross-process lock (a question keeps its deepest ranking) and writes the result
atomically. A corrupt or foreign entry reads as empty (the cache deletes it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ragtune.pipelines.entry_store import EntryStore
from ragtune.pipelines.query_memo import Retrieved

__all__ = ["LABEL", "IndexRankings", "load_retrievals", "save_retrievals"]

LABEL = "retrievals/index"


@dataclass(frozen=True, slots=True)
class IndexRankings:
    """The disk entry holding one opened index's rankings (what an index saves to and loads from)."""

    entries: EntryStore
    index_key: str

    def load(self) -> dict[str, Retrieved]:
        return load_retrievals(self.entries, self.index_key)

    def save(self, new: Mapping[str, Retrieved]) -> None:
        save_retrievals(self.entries, self.index_key, new)


def load_retrievals(entries: EntryStore, index_key: str) -> dict[str, Retrieved]:
    """The retrievals stored for ``index_key``, by question text (empty when there are none)."""
    found = entries.read_file(entries.path_for(LABEL, index_key), LABEL, index_key)
    return {} if found is None else _decode(found[0])


def save_retrievals(entries: EntryStore, index_key: str, new: Mapping[str, Retrieved]) -> None:
    """Merge ``new`` into the entry of ``index_key`` (deeper rankings win) and write it atomically."""
    if not new:
        return
    with entries.lock(LABEL, index_key):
        found = entries.read_file(entries.path_for(LABEL, index_key), LABEL, index_key)
        merged = {} if found is None else _decode(found[0])
        for question, retrieved in new.items():
            old = merged.get(question)
            if old is None or retrieved.depth > old.depth:
                merged[question] = retrieved
        entries.put(LABEL, index_key, _encode(merged))
    entries.counters.add(LABEL, items=len(new))


def _encode(retrievals: Mapping[str, Retrieved]) -> dict[str, object]:
    questions = list(retrievals)
    rows = [retrievals[q] for q in questions]
    width = max((len(r.positions) for r in rows), default=0)
    positions = np.full((len(rows), width), -1, dtype=np.int64)
    scores = np.zeros((len(rows), width), dtype=np.float32)
    for i, r in enumerate(rows):
        positions[i, : len(r.positions)] = r.positions
        scores[i, : len(r.scores)] = r.scores
    out: dict[str, object] = {
        "questions": questions,
        "depths": np.array([r.depth for r in rows], dtype=np.int64),
        "lengths": np.array([len(r.positions) for r in rows], dtype=np.int64),
        "positions": positions,
        "scores": scores,
        "seconds": np.array([r.seconds for r in rows], dtype=np.float64),
    }
    if rows and all(r.query_vector is not None for r in rows):
        out["vectors"] = np.stack([np.asarray(r.query_vector, dtype=np.float32) for r in rows])
    return out


def _decode(parts: Mapping[str, object]) -> dict[str, Retrieved]:
    questions = parts["questions"]
    out: dict[str, Retrieved] = {}
    if not isinstance(questions, list):  # not an entry this module wrote: nothing to reuse
        return out
    depths, lengths = np.asarray(parts["depths"]), np.asarray(parts["lengths"])
    positions, scores = np.asarray(parts["positions"]), np.asarray(parts["scores"])
    seconds = np.asarray(parts["seconds"])
    vectors = parts.get("vectors")
    for i, question in enumerate(questions):
        n = int(lengths[i])
        vector = None
        if isinstance(vectors, np.ndarray):
            vector = vectors[i].copy()
            vector.flags.writeable = False
        out[str(question)] = Retrieved(
            int(depths[i]), positions[i, :n].copy(), scores[i, :n].copy(), float(seconds[i]), vector
        )
    return out
