"""Time to write ``ragtune report`` for a 10,000-trial, 3-objective study (target: under 3 s).

    python benchmarks/report.py                               # in-memory storage
    python benchmarks/report.py --storage duckdb --db /tmp/tui-bench.duckdb   # the TUI benchmark's file

The study is the TUI benchmark's (benchmarks/tui_first_paint.py: 4 params, 1 in 7 trials pruned,
three rungs each). The clock covers what the CLI does after opening the storage: reading the
trials, building the charts (PED-ANOVA per objective included) and writing the file. Parts are
timed too; each figure is the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tui_first_paint import STUDY, build_study

import ragtune as rt
from ragtune.storage import get_storage
from ragtune.visualization import StudyData, importances_per_objective, write_report
from ragtune.visualization.report import build_report
from ragtune.visualization.report_writers import render_html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="memory", help="memory or duckdb")
    parser.add_argument("--db", type=Path, default=Path("tui-bench.duckdb"))
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    url = "memory" if args.storage == "memory" else f"duckdb:///{args.db}"
    storage = get_storage(url)
    if STUDY not in [s.study_name for s in storage.get_all_studies()]:
        t0 = time.perf_counter()
        build_study(storage, args.trials)
        print(f"built the study in {time.perf_counter() - t0:.1f} s")
    study = rt.load_study(study_name=STUDY, storage=storage)
    rows: dict[str, list[float]] = {
        k: [] for k in ("read", "importance", "build", "html", "total html", "total md")
    }
    size = 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            data = StudyData.from_study(study)
            t1 = time.perf_counter()
            importances_per_objective(data)
            t2 = time.perf_counter()
            content = build_report(data)
            t3 = time.perf_counter()
            html = render_html(content)
            t4 = time.perf_counter()
            rows["read"].append(t1 - t0)
            rows["importance"].append(t2 - t1)
            rows["build"].append(t3 - t2)
            rows["html"].append(t4 - t3)
            t0 = time.perf_counter()
            path, _ = write_report(study, Path(tmp) / "r.html")
            rows["total html"].append(time.perf_counter() - t0)
            size = path.stat().st_size
            t0 = time.perf_counter()
            write_report(study, Path(tmp) / "r.md", format="md")
            rows["total md"].append(time.perf_counter() - t0)
    n = len(study.get_trials())
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, {url}, {n} trials"
    )
    for k, v in rows.items():
        print(f"  {k:<12} median {statistics.median(v):6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in v)})")
    print(f"  HTML size {size / 1e6:.2f} MB ({len(html) / 1e6:.2f} MB rendered in memory)")


if __name__ == "__main__":
    main()
