"""Child process for the cache tests: one generator call; prints a JSON line with the outcome.

``python llm_cache_worker.py CACHE_DIR LOG DELAY START_AT`` (fake model), or
``python llm_cache_worker.py CACHE_DIR --real BASE_URL MODEL`` (the same call as the parent's
real-server test, made against BASE_URL).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_llm import logged

from ragtune.pipelines import LLMCache, readers

QUESTION, CONTEXT = "What is the capital of France?", ["Paris is the capital of France."]


def main() -> None:
    cache = LLMCache(sys.argv[1])
    if sys.argv[2] == "--real":
        generator = readers.OpenAIGenerator(
            sys.argv[3], sys.argv[4], max_tokens=8, max_retries=0, cache=cache
        )
    else:
        generator = logged(Path(sys.argv[2]), float(sys.argv[3]), cache=cache)
        time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # start together with the sibling
    out = generator.read(QUESTION, CONTEXT)
    print(
        json.dumps({"answer": out.answer, "cached": out.cached, "seconds": out.seconds, "tokens": out.tokens})
    )


if __name__ == "__main__":
    main()
