"""The search space and plumbing shared by the RAG benchmarks (rag_cache, rag_pruning, rag_end_to_end).

The space: chunk size x overlap x retriever x embedder (dense and hybrid only) x k, as a pipeline
function written against the ``suggest_categorical`` API that ragtune's and Optuna's trials share, so
both drive the same ragtune stages. It has real spread on purpose: tiny chunks and ``k=1`` are bad
configs, large chunks with BM25 or hybrid retrieval and ``k >= 10`` are good ones.

The plumbing: loading the eval set (built-in ``python-docs`` or a BEIR folder), a line describing
the machine, and replacing one ``## ...`` section of ``docs/benchmarks.md`` in place.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import ragtune as rt
from ragtune.datasets import EvalSet
from ragtune.pipelines import Pipeline, chunkers, embedders, guards, retrievers

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"

#: Embedder choices: TF-IDF + truncated SVD at two widths (fitted per chunking, needs no model) and,
#: on request, the int8 ONNX all-MiniLM-L6-v2 (one pretrained model shared by every chunking).
TFIDF_DIMS = {"tfidf-svd-64": 64, "tfidf-svd-128": 128}
ONNX = "minilm-int8"


class SuggestsCategorical(Protocol):
    """The slice of ``ragtune.Trial`` and ``optuna.Trial`` the space uses."""

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


@dataclass(frozen=True)
class Space:
    """A categorical RAG search space; ``pipeline(trial)`` is the pipeline function."""

    chunk_sizes: tuple[int, ...] = (64, 128, 256, 512, 1024)
    overlaps: tuple[float, ...] = (0.0, 0.25)
    retrievers: tuple[str, ...] = ("bm25", "dense", "hybrid")
    embedders: tuple[str, ...] = tuple(TFIDF_DIMS)
    ks: tuple[int, ...] = (1, 3, 5, 10, 20)
    guard: bool = False
    """Add the prompt-injection + PII guard (for the safety objective)."""

    def pipeline(self, trial: SuggestsCategorical) -> Pipeline:
        size = int(trial.suggest_categorical("chunk_size", list(self.chunk_sizes)))
        overlap = float(trial.suggest_categorical("overlap", list(self.overlaps)))
        kind = str(trial.suggest_categorical("retriever", list(self.retrievers)))
        embedder_name = (
            None if kind == "bm25" else str(trial.suggest_categorical("embedder", list(self.embedders)))
        )
        k = int(trial.suggest_categorical("k", list(self.ks)))
        return self.build(size, overlap, kind, embedder_name, k)

    def build(self, size: int, overlap: float, kind: str, embedder_name: str | None, k: int) -> Pipeline:
        """The pipeline of one point of the space."""
        retriever = {"bm25": retrievers.BM25, "dense": retrievers.Dense, "hybrid": retrievers.Hybrid}[kind]()
        guard = guards.Guards([guards.PromptInjection(), guards.PII()]) if self.guard else None
        return Pipeline(
            chunker=chunker(size, overlap),
            embedder=None if embedder_name is None else make_embedder(embedder_name),
            retriever=retriever,
            guard=guard,
            k=k,
        )

    def index_configs(self) -> Iterator[tuple[int, float, str, str | None]]:
        """Every distinct (chunk size, overlap, retriever, embedder): what index time depends on."""
        for size in self.chunk_sizes:
            for overlap in self.overlaps:
                for kind in self.retrievers:
                    for name in [None] if kind == "bm25" else self.embedders:
                        yield size, overlap, kind, name

    def size(self) -> int:
        """Number of distinct configurations."""
        return sum(1 for _ in self.index_configs()) * len(self.ks)

    def with_onnx(self) -> Space:
        return replace(self, embedders=(*self.embedders, ONNX))

    def describe(self) -> str:
        return (
            f"chunk_size {list(self.chunk_sizes)} chars x overlap {list(self.overlaps)} of the size x "
            f"retriever {list(self.retrievers)} x embedder {list(self.embedders)} (dense/hybrid only) x "
            f"k {list(self.ks)}: {self.size()} configs"
        )


def chunker(size: int, overlap: float) -> chunkers.Window:
    return chunkers.Window(size, min(int(size * overlap), size - 1))


def make_embedder(name: str) -> Any:
    if name in TFIDF_DIMS:
        return embedders.TfidfSvdEmbedder(dim=TFIDF_DIMS[name])
    if name == ONNX:
        return _onnx_embedder()
    raise ValueError(f"embedder must be one of {[*TFIDF_DIMS, ONNX]}, but got {name!r}")


_ONNX_FILES: list[Any] = []


def _onnx_embedder() -> Any:
    # One embedder object per process: the ONNX session loads once and trials share it.
    if not _ONNX_FILES:
        _ONNX_FILES.append(embedders.OnnxEmbedder(*embedders.onnx.installed_onnx_model()))
    return _ONNX_FILES[0]


PYTHON_DOCS_SPACE = Space()
#: SciFact abstracts average 1,500 characters: tiny windows would give ~100k chunks per fit.
BEIR_SPACE = Space(chunk_sizes=(512, 1024, 2048, 4096))


# -- eval sets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bench:
    """An eval set, the space used on it, and how it was cut down (for the write-up)."""

    dataset: EvalSet
    space: Space
    label: str

    @cached_property
    def question_texts(self) -> frozenset[str]:
        return frozenset(q.text for q in self.dataset.questions)


def load_bench(path: str | None, *, max_docs: int | None = None, max_questions: int | None = None) -> Bench:
    """``python-docs`` (path None) or a BEIR folder, optionally cut to the first ``max_docs`` documents
    (questions without a judged document left are dropped) and ``max_questions`` questions."""
    if path is None:
        dataset, space = rt.datasets.load("python-docs"), PYTHON_DOCS_SPACE
        label = "python-docs"
    else:
        dataset, space = rt.datasets.from_beir(path, split="train"), BEIR_SPACE
        label = Path(path).name
    notes = []
    if max_docs is not None and max_docs < len(dataset.corpus):
        corpus = dataset.corpus[:max_docs]
        keep = {d.id for d in corpus}
        judged = [j for j in dataset.judgments if j.doc_id in keep]
        asked = {j.question_id for j in judged if j.grade > 0}
        questions = tuple(q for q in dataset.questions if q.id in asked)
        dataset = EvalSet(dataset.name, corpus, questions, tuple(j for j in judged if j.question_id in asked))
        notes.append(f"first {max_docs} documents")
    if max_questions is not None and max_questions < len(dataset.questions):
        dataset = dataset.subset([q.id for q in dataset.questions[:max_questions]])
        notes.append(f"first {max_questions} questions")
    label += f" ({len(dataset.corpus)} docs, {len(dataset.questions)} questions"
    label += f"; {', '.join(notes)})" if notes else ")"
    return Bench(dataset, space, label)


def warm_up(bench: Bench) -> None:
    """Run every stage of the space once on a tiny corpus, so no timed run pays first-use costs
    (imports, an ONNX session)."""
    tiny = bench.dataset.corpus[:3]
    question = bench.dataset.questions[0].text
    for kind in bench.space.retrievers:
        for name in [None] if kind == "bm25" else bench.space.embedders:
            pipe = replace(bench.space, guard=True).build(512, 0.0, kind, name, 5)
            pipe.query(pipe.build_index(tiny), question)


_THREADS: list[str] = []


def limit_threads(n: int = 1) -> None:
    """Cap BLAS threads: on a small shared machine, several BLAS threads per process oversubscribe
    the cores and make wall and CPU times swing from run to run. numpy and scipy each bundle an
    OpenBLAS, and threadpoolctl only reaches libraries already loaded, so scipy's is loaded first."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        _THREADS[:] = ["BLAS threads as the libraries chose (threadpoolctl is not installed)"]
        return
    import scipy.linalg
    import scipy.sparse.linalg  # noqa: F401  (loads the OpenBLAS that ARPACK and the SVD use)

    threadpool_limits(n)
    libs = sorted(
        {Path(i["filepath"]).name.split("-")[0] for i in threadpool_info() if i["num_threads"] == n}
    )
    _THREADS[:] = [
        f"BLAS threads limited to {n} ({', '.join(libs)}, via threadpoolctl); onnxruntime keeps its own pool"
    ]


# -- the write-up ----------------------------------------------------------------------------------
def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()}; "
        f"load average at the end {load} (the machine is shared, so wall times are noisy)"
    )


def command_line() -> str:
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f"python benchmarks/{Path(sys.argv[0]).name}{' ' + args if args else ''}"


def header(started: dt.datetime) -> str:
    threads = f" {_THREADS[0]}." if _THREADS else ""
    return f"Run {started:%Y-%m-%d %H:%M} UTC, {machine()}.{threads}\n\nCommand: `{command_line()}`"


def write_section(title: str, body: str, *, subsection: str | None = None) -> Path:
    """Replace the ``## title`` section of docs/benchmarks.md (or its ``### subsection``), atomically.

    A missing section (or subsection) is appended; everything else in the file is left byte for byte
    as it is, and the file is created when missing.
    """
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if subsection is None:
        new = _replace_block(text, f"## {title}", body, level=2)
    else:
        heading = f"## {title}"
        lines = text.splitlines(keepends=True)
        start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
        if start is None:
            new = _replace_block(text, heading, f"### {subsection}\n\n{body.strip()}", level=2)
        else:
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
            inner = _replace_block("".join(lines[start:end]), f"### {subsection}", body, level=3)
            new = (
                "".join(lines[:start])
                + inner.rstrip("\n")
                + "\n"
                + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
            )
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=DOCS.parent, prefix=".benchmarks.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        handle.write(new)
    os.replace(tmp, DOCS)
    return DOCS


def _replace_block(text: str, heading: str, body: str, *, level: int) -> str:
    """``text`` with the block under ``heading`` (up to the next heading of this level or higher) replaced."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    block = f"{heading}\n\n{body.strip()}\n"
    if start is None:
        return text.rstrip("\n") + "\n\n" + block
    stops = tuple("#" * n + " " for n in range(2, level + 1))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(stops)), len(lines))
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + block + ("\n" + tail if tail else "")


def markdown_table(header_row: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header_row) + " |", "|" + "|".join("---" for _ in header_row) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
