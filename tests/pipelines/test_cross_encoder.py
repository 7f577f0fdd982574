"""CrossEncoderReranker with a real cross-encoder: a tiny BERT made here (random weights, seeded), saved
to a local folder and loaded by sentence-transformers' CrossEncoder; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragtune.pipelines.records import Chunk, Hit

pytestmark = pytest.mark.embeddings

WORDS = [
    "the",
    "a",
    "with",
    "statement",
    "context",
    "manager",
    "file",
    "open",
    "close",
    "python",
    "loop",
    "for",
    "while",
    "list",
    "dict",
]


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("sentence_transformers")
    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    tokenizer = transformers.BertTokenizerFast(vocab=vocab, do_lower_case=True)
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=1,
        initializer_range=0.3,  # wide random weights: clearly different scores per pair
    )
    model = transformers.BertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _model_scores(folder: Path, query: str, texts: list[str]) -> np.ndarray:
    """The model's scores computed with transformers directly (independent of the reranker's path): the
    logit of each (query, text) pair through a sigmoid, as CrossEncoder does for a one-label model."""
    import torch
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder).eval()
    batch = tokenizer([query] * len(texts), texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    return 1.0 / (1.0 + np.exp(-logits.reshape(-1).numpy().astype(np.float64)))


def test_rerank_orders_hits_by_the_models_scores(tiny_cross_encoder: Path) -> None:
    from ragtune.pipelines.rerankers import CrossEncoderReranker

    texts = [
        "open a file with the with statement",
        "a for loop over a list",
        "close the file",
        "python dict",
        "while loop",
        "the context manager",
    ]
    hits = [Hit(Chunk(f"d{i}", 0, len(t), t), 1.0 / (i + 1), i + 1, i) for i, t in enumerate(texts)]
    query = "with statement context manager"
    reranker = CrossEncoderReranker(tiny_cross_encoder)
    ranked = reranker.rerank(query, hits, k=4)

    expected = _model_scores(tiny_cross_encoder, query, texts)
    order = list(np.argsort(-expected, kind="stable")[:4])
    assert [h.position for h in ranked] == order
    assert [h.rank for h in ranked] == [1, 2, 3, 4]
    np.testing.assert_allclose([h.score for h in ranked], expected[order], rtol=1e-4, atol=1e-5)
    assert order != [0, 1, 2, 3]  # the model's order, not the retriever's
    assert len({round(float(s), 4) for s in expected}) == len(texts)  # distinct scores: one right order


def test_a_pipeline_with_the_cross_encoder_returns_the_models_top_k(tiny_cross_encoder: Path) -> None:
    from ragtune.datasets.types import Document
    from ragtune.pipelines import Pipeline, chunkers, retrievers
    from ragtune.pipelines.rerankers import CrossEncoderReranker

    texts = ["open the file", "the with statement", "a python list", "the dict", "close the file"]
    corpus = [Document(f"d{i}", t) for i, t in enumerate(texts)]
    pipe = Pipeline(
        chunker=chunkers.Window(100, 0),
        retriever=retrievers.BM25(),
        reranker=CrossEncoderReranker(tiny_cross_encoder),
        k=2,
        fetch_k=5,
    )
    query = "the file"
    result = pipe.query(pipe.build_index(corpus), query)
    plain = Pipeline(chunker=chunkers.Window(100, 0), retriever=retrievers.BM25(), k=5)
    retrieved = [h.chunk.text for h in plain.query(plain.build_index(corpus), query).hits]  # the candidates
    scores = dict(zip(retrieved, _model_scores(tiny_cross_encoder, query, retrieved), strict=True))
    best_two = sorted(retrieved, key=lambda t: -scores[t])[:2]
    assert [h.chunk.text for h in result.hits] == best_two
    assert "rerank" in result.timings
