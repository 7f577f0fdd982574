"""The BEIR loader on real data: the SciFact train split in the shared data folder (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ragtune.datasets as ds

SCIFACT = Path("/work/shared/data/scifact-train")

pytestmark = pytest.mark.skipif(not (SCIFACT / "corpus.jsonl").is_file(), reason=f"{SCIFACT} is not here")


def test_from_beir_counts() -> None:
    e = ds.from_beir(SCIFACT, split="train")
    assert (len(e.corpus), len(e.questions), len(e.judgments)) == (5183, 809, 919)
    assert e.name == "scifact-train"
    assert {j.grade for j in e.judgments} == {1}
    assert all(q.id in e.qrels for q in e.questions)
    assert e.corpus[0].title and e.corpus[0].text


def test_from_files_and_load_detect_the_only_split() -> None:
    for e in (ds.from_files(SCIFACT), ds.load(SCIFACT)):
        assert (len(e.corpus), len(e.questions), len(e.judgments)) == (5183, 809, 919)
