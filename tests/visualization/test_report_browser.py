"""The HTML report in a real headless Chromium: it loads offline, logs no error, and paints its charts.

Chromium (Debian's ``chromium`` package; .ci/run installs it) is driven through the DevTools
protocol, so the page's own requests and console messages are seen apart from the browser's
background traffic. A control page with a remote image and a console error shows the checks can
fail. ``RAGTUNE_UPDATE_SCREENSHOT=1`` refreshes docs/report-screenshot.png.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from chromium_cdp import chromium_path, load_page
from report_data import make_question_study

from ragtune.choice import record_choice
from ragtune.storage import InMemoryStorage
from ragtune.visualization import write_report

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="needs chromium (apt-get install chromium)")
DOCS = Path(__file__).resolve().parents[2] / "docs"


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and unfiltered rows of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytes(width * channels)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = bytes(line)
    return width, height, [r[::channels] for r in rows]  # the red channel is enough to tell ink from paper


def ink_share(data: bytes) -> float:
    """Share of pixels that are not near-white."""
    _, _, rows = png_pixels(data)
    total = sum(len(r) for r in rows)
    return sum(sum(1 for v in r if v < 200) for r in rows) / total


def test_control_page_shows_the_checks_can_fail(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><img src="http://example.invalid/x.png"><script>console.error("boom")</script>'
    )
    load = load_page(page.as_uri(), height=400)
    assert load.requests == ["http://example.invalid/x.png"]
    assert "boom" in load.errors


def test_report_loads_offline_without_errors_and_paints_charts(tmp_path):
    study = make_question_study(InMemoryStorage())
    record_choice(study, study.best_trials[0].number, path=tmp_path / "c.json")
    path, content = write_report(study, tmp_path / "report.html")
    load = load_page(path.as_uri(), width=1040, height=2400)
    assert load.requests == []
    assert load.errors == []
    assert load.title == f"ragtune report · {study.study_name}"
    assert load.svg_count == len(content.figures)
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    assert ink_share(load_page(blank.as_uri(), width=1040, height=2400).thumbnail) < 0.001
    assert ink_share(load.thumbnail) > 0.02  # text, dots, lines and bars
    if os.environ.get("RAGTUNE_UPDATE_SCREENSHOT"):
        (DOCS / "report-screenshot.png").write_bytes(load.screenshot)
