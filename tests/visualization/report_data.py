"""A seeded RAG-shaped study with per-question results, for the report, chart and TUI tests."""

from __future__ import annotations

import datetime as dt

import numpy as np

import ragtune as rt
from ragtune.core.distributions import categorical_distribution, int_distribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState

BASE = dt.datetime(2025, 1, 6, 9, 30, 0)
DOCS = [f"doc{i:02d}" for i in range(30)]
N_Q = 12
GOLD = {
    f"q{j:02d}": {
        "text": f"Question number {j} about topic {j % 4}?",
        "relevant": [DOCS[(2 * j) % 30], DOCS[(2 * j + 1) % 30]],
        "answers": [f"answer {j}"],
    }
    for j in range(N_Q)
}


def question_trial(
    rng: np.random.Generator, *, skill: float, top_k: int
) -> tuple[dict[str, object], float, float]:
    """One trial's per-question record, its mean ndcg and its p95 latency."""
    ids = list(GOLD)
    scores, retrieved, answers, latency = [], [], [], []
    for j, q in enumerate(ids):
        hit = rng.uniform() < skill
        rel = GOLD[q]["relevant"]
        docs = [str(rel[0])] if hit else []
        docs += [d for d in rng.choice(DOCS, size=top_k, replace=False).tolist() if d not in docs]
        docs = docs[:top_k]
        scores.append(round(float(rng.uniform(0.6, 1.0)) if hit else float(rng.uniform(0.0, 0.3)), 4))
        retrieved.append(docs)
        answers.append(f"answer {j}" if hit else f"something else {j}")
        latency.append(round(float(0.01 * top_k + rng.uniform(0, 0.02)), 4))
    record = {
        "question_ids": ids,
        "latency_s": latency,
        "retrieved": retrieved,
        "answers": answers,
        "scores": {"ndcg@10": scores, "latency_p95_ms": [None] * len(ids)},
    }
    return record, float(np.mean(scores)), float(np.percentile(latency, 95) * 1000)


def make_question_study(
    storage: rt.storage.Storage, name: str = "qa-demo", *, n: int = 30, seed: int = 3
) -> rt.Study:
    """Two objectives (ndcg@10 max, latency_p95_ms min); ``overlap`` exists only when chunk_size > 512."""
    rng = np.random.default_rng(seed)
    study = rt.create_study(storage=storage, study_name=name, directions=["maximize", "minimize"])
    study.set_metric_names(["ndcg@10", "latency_p95_ms"])
    study.set_system_attr("ragtune:dataset", "toy-qa")
    study.set_system_attr("ragtune:questions", GOLD)
    dists = {
        "retriever": categorical_distribution(("bm25", "dense", "hybrid")),
        "top_k": int_distribution(2, 10, 1, False),
        "chunk_size": int_distribution(256, 1024, 256, False),
        "overlap": int_distribution(32, 128, 32, False),
    }
    for i in range(n):
        retriever = ("bm25", "dense", "hybrid")[int(rng.integers(3))]
        top_k = int(rng.integers(2, 11))
        chunk = int(rng.choice([256, 512, 768, 1024]))
        params: dict[str, object] = {"retriever": retriever, "top_k": top_k, "chunk_size": chunk}
        if chunk > 512:
            params["overlap"] = int(rng.choice([32, 64, 96, 128]))
        skill = {"bm25": 0.3, "dense": 0.55, "hybrid": 0.75}[retriever] + 0.02 * top_k
        record, ndcg, p95 = question_trial(rng, skill=skill, top_k=top_k)
        state, values = TrialState.COMPLETE, (round(ndcg, 4), round(p95, 2))
        steps = {4: values, 12: values}
        if i % 7 == 3:
            state, values, steps = TrialState.PRUNED, None, {4: (round(ndcg * 0.8, 4), round(p95, 2))}
        start = BASE + dt.timedelta(seconds=30 * i)
        study.add_trial(
            FrozenTrial(
                number=-1,
                state=state,
                values=values,
                params=params,
                distributions={k: dists[k] for k in params},
                system_attrs={"ragtune:per_question": record, "ragtune:metrics": {"ndcg@10": round(ndcg, 4)}},
                intermediate_values=steps,
                datetime_start=start,
                datetime_complete=start + dt.timedelta(seconds=20),
            )
        )
    return study
