"""The public surface of ``ragtune.pipelines``: pinned names, light imports, lazy pretrained embedders."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ragtune.pipelines as pipelines
from ragtune.pipelines import Stage, chunkers, embedders, guards, readers, rerankers, retrievers
from ragtune.pipelines.stage import stage_spec


def test_public_names_are_pinned() -> None:
    assert sorted(pipelines.__all__) == sorted(
        [
            "Cache", "Chunk", "Chunker", "Embedder", "FittableEmbedder", "Guard", "Hit", "Index", "LLMCache",
            "ModelServer", "ParamStage",
            "Pipeline", "QueryResult", "Reader", "ReaderOutput", "Reranker", "Retriever", "Searcher", "Stage",
            "StageCounts", "StageParams", "Verdict", "chunkers", "corpus_fingerprint", "embedders", "guards",
            "readers", "rerankers", "retrievers", "serve_model", "templates",
        ]
    )  # fmt: skip
    assert chunkers.__all__ == ["Chunker", "Recursive", "Sentence", "TitleMode", "Window"]
    assert retrievers.__all__ == ["BM25", "Dense", "Hybrid", "Retriever", "Searcher"]
    assert rerankers.__all__ == ["MMR", "CrossEncoderReranker", "Reranker"]
    assert readers.__all__ == [
        "ContextOrder",
        "Endpoint",
        "ExampleChoice",
        "Extractive",
        "GGUFGenerator",
        "OpenAIChatGenerator",
        "OpenAIGenerator",
        "Reader",
    ]
    assert guards.__all__ == [
        "PII",
        "BlockedTerms",
        "Guard",
        "Guards",
        "PromptInjection",
        "Refusal",
        "Verdict",
    ]
    assert sorted(embedders.__all__) == sorted(
        [
            "Embedder", "FittableEmbedder", "FittedTfidfSvd", "GloveEmbedder", "OnnxEmbedder",
            "SentenceTransformerEmbedder", "TfidfSvdEmbedder", "available", "by_name",
        ]
    )  # fmt: skip
    for module in (pipelines, chunkers, retrievers, rerankers, readers, guards):
        assert all(hasattr(module, name) for name in module.__all__)


def test_import_pulls_in_no_heavy_framework() -> None:
    code = (
        "import sys, ragtune.pipelines, ragtune.pipelines.embedders as e; e.available(); "
        "heavy = ['pandas', 'sqlalchemy', 'duckdb', 'textual', 'torch', 'onnxruntime', 'sentence_transformers', 'xllamacpp']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_pretrained_embedders_are_exported_lazily() -> None:
    with pytest.raises(AttributeError, match="NoSuchEmbedder"):
        embedders.__getattr__("NoSuchEmbedder")
    assert "SentenceTransformerEmbedder" in dir(embedders)


def test_a_user_stage_needs_no_inheritance() -> None:
    class Mine:
        kind = "mine"
        version = "3"
        params = pipelines.StageParams()

    assert isinstance(Mine(), Stage)
    assert stage_spec(Mine()) == {"kind": "mine", "version": "3", "params": {}}
