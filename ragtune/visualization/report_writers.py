"""``write_report``: the report as one self-contained HTML file, or Markdown with SVG files beside it."""

from __future__ import annotations

import datetime as dt
import math
import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ragtune.exceptions import ReportError
from ragtune.visualization.questions import QuestionResult
from ragtune.visualization.report import QuestionTable, ReportContent, build_report, fmt

if TYPE_CHECKING:
    from ragtune.core.study import Study
    from ragtune.visualization.study_data import StudyData

__all__ = ["render_html", "render_markdown", "write_report"]

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;font-size:13px}table{border-collapse:collapse;font-size:12px;margin:8px 0;width:100%}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}.hit{color:#1a7f37;font-weight:600}.miss{color:#b42318}
.chosen{background:#fff7d6;border:1px solid #e6c200;padding:8px 12px;border-radius:4px}
figure{margin:12px 0}svg{max-width:100%;height:auto}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:13px}
dt{color:#666}dd{margin:0}
"""


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _docs_html(q: QuestionResult) -> tuple[str, str]:
    rel = set(q.relevant)
    got = (
        " ".join(f'<span class="hit">{escape(d)}</span>' if d in rel else escape(d) for d in q.retrieved[:5])
        or "—"
    )
    missed = " ".join(f'<span class="miss">{escape(d)}</span>' for d in q.missed[:5]) or "—"
    return got, missed


def _questions_html(t: QuestionTable) -> str:
    head = "".join(f"<th>{escape(t.metric)} #{n}</th>" for n in t.trials)
    out = [
        f"<p class='sub'>The {len(t.rows)} worst questions of trial #{t.trials[0]} on {escape(t.metric)} "
        f"({'higher' if t.maximize else 'lower'} is better), with the same questions' scores in the other "
        "best trials. Retrieved: its first 5 documents, relevant ones in green; missed: relevant documents "
        "it did not retrieve.</p>",
        f"<table><tr><th>question</th>{head}<th>retrieved</th><th>missed</th><th>answer</th><th>gold</th></tr>",
    ]
    for q, scores in t.rows:
        got, missed = _docs_html(q)
        cells = "".join(f'<td class="n">{fmt(s)}</td>' for s in scores)
        text = f"<b>{escape(q.question_id)}</b> {escape(_short(q.text, 120))}"
        answer = escape(_short(q.answer, 120)) if q.answer else "—"
        gold = escape(" | ".join(q.gold)[:120]) or "—"
        out.append(
            f"<tr><td>{text}</td>{cells}<td>{got}</td><td>{missed}</td><td>{answer}</td><td>{gold}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def render_html(content: ReportContent) -> str:
    """One HTML document: inline CSS and SVG, no script, no external resource."""
    d = content.data
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>ragtune report · {escape(d.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>ragtune report · {escape(d.name)}</h1><p class='sub'>{escape(content.headline)} · written {now}</p>",
        "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in content.facts) + "</dl>",
    ]
    parts.append("<h2>Chosen trade-off</h2>")
    if content.chosen:
        c = content.chosen
        values = ", ".join(f"{escape(k)} = {escape(v)}" for k, v in c["values"].items())
        parts.append(
            f"<div class='chosen'><b>trial #{c['trial']}</b>: {values}<br>params: {escape(c['params'])}</div>"
        )
    else:
        parts.append("<p class='sub'>None chosen yet (choose one in <code>ragtune tui</code>, key c).</p>")
    for note in content.notes:
        parts.append(f"<p class='sub'>{escape(note)}</p>")
    parts.append(f"<h2>{escape(content.best_title)}</h2><table><tr>")
    parts.append("".join(f"<th>{escape(h)}</th>" for h in content.best_header) + "</tr>")
    for row in content.best_rows:
        cells = "".join(f'<td class="n">{escape(c)}</td>' for c in row[:-1])
        parts.append(f"<tr>{cells}<td>{escape(row[-1])}</td></tr>")
    parts.append("</table>")
    for key, fig in content.figures:
        parts.append(f"<h2 id='{key}'>{escape(_section(key, content))}</h2><figure>{fig.svg}</figure>")
    parts.append("<h2>Per-question results of the best trials</h2>")
    if content.questions is not None:
        parts.append(_questions_html(content.questions))
    else:
        parts.append("<p class='sub'>No per-question results are stored for these trials.</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _section(key: str, content: ReportContent) -> str:
    if key.startswith("parallel-"):
        return f"Parallel coordinates: {content.data.objective_names[int(key.split('-')[1])]}"
    return {
        "pareto": "Pareto front",
        "history": "Optimisation history",
        "importance": "Parameter importance",
    }[key]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(content: ReportContent, asset_dir: str) -> tuple[str, dict[str, str]]:
    """The Markdown text and ``{file name: svg}`` of its charts (referenced as ``asset_dir/name``)."""
    d = content.data
    lines = [f"# ragtune report · {d.name}", "", content.headline, ""]
    lines += [f"- **{k}**: {_md_cell(v)}" for k, v in content.facts]
    lines += ["", "## Chosen trade-off", ""]
    if content.chosen:
        c = content.chosen
        values = ", ".join(f"{k} = {v}" for k, v in c["values"].items())
        lines += [f"**trial #{c['trial']}**: {values}; params: {_md_cell(c['params'])}"]
    else:
        lines += ["None chosen yet (choose one in `ragtune tui`, key c)."]
    lines += ["", *content.notes, "", f"## {content.best_title}", ""]
    lines += ["| " + " | ".join(map(_md_cell, content.best_header)) + " |"]
    lines += ["|" + "---:|" * (len(content.best_header) - 1) + "---|"]
    lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in content.best_rows]
    files = {}
    for key, fig in content.figures:
        name = f"{key}.svg"
        files[name] = fig.svg
        lines += ["", f"## {_section(key, content)}", "", f"![{fig.title}]({asset_dir}/{name})"]
    lines += ["", "## Per-question results of the best trials", ""]
    t = content.questions
    if t is None:
        lines += ["No per-question results are stored for these trials."]
    else:
        lines += [
            f"Worst questions of trial #{t.trials[0]} on {t.metric}; relevant retrieved documents in bold.",
            "",
        ]
        head = ["question", *(f"{t.metric} #{n}" for n in t.trials), "retrieved", "missed", "answer", "gold"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for q, scores in t.rows:
            rel = set(q.relevant)
            got = " ".join(f"**{x}**" if x in rel else x for x in q.retrieved[:5]) or "—"
            cells = [
                f"{q.question_id} {_short(q.text, 80)}",
                *(fmt(s) if math.isfinite(s) else "—" for s in scores),
                got,
                " ".join(q.missed[:5]) or "—",
                _short(q.answer or "—", 80),
                _short(" / ".join(q.gold) or "—", 80),
            ]
            lines += ["| " + " | ".join(map(_md_cell, cells)) + " |"]
    return "\n".join(lines) + "\n", files


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise ReportError(
            f"cannot write the report to {str(path)!r}: {reason}; pass a writable path with -o"
        ) from e


def write_report(
    study: Study | StudyData, path: str | os.PathLike[str], *, format: str = "html"
) -> tuple[Path, ReportContent]:
    """Write the report of ``study`` to ``path`` (``format`` "html" or "md"); return the path and content.

    HTML is one self-contained file. Markdown writes its charts as SVG files into
    ``<name>_files/`` next to it. Raises :class:`ReportError` for a study with nothing to show or a
    path that cannot be written.
    """
    if format not in ("html", "md"):
        raise ReportError(f"format must be 'html' or 'md', but got format={format!r}")
    out = Path(path)
    if out.is_dir():
        raise ReportError(
            f"cannot write the report to {str(out)!r}: it is a directory; pass a file path with -o"
        )
    if not out.parent.exists():
        raise ReportError(
            f"cannot write the report to {str(out)!r}: folder {str(out.parent)!r} does not exist; create it or pass another -o"
        )
    content = build_report(study)
    if format == "html":
        _write(out, render_html(content))
        return out, content
    assets = out.parent / f"{out.stem}_files"
    text, files = render_markdown(content, assets.name)
    _write(out, text)
    try:
        assets.mkdir(exist_ok=True)
    except OSError as e:
        raise ReportError(
            f"cannot create {str(assets)!r} for the charts: {e.strerror}; pass another -o"
        ) from e
    for name, svg in files.items():
        _write(assets / name, svg)
    return out, content
