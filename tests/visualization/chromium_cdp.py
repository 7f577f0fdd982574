"""Load a page in headless Chromium and watch it through the DevTools protocol (over a pipe).

``--remote-debugging-pipe`` gives the protocol on file descriptors 3 (to Chromium) and 4 (from it),
messages as JSON ended by a NUL byte: no websocket client needed. The page's own network requests
and console errors are told apart from Chromium's background traffic by the page's session id.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageLoad:
    """What the page did: its network requests (not file:/data:), console errors, DOM facts, screenshot."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    svg_count: int = 0
    title: str = ""
    screenshot: bytes = b""
    thumbnail: bytes = b""
    """The same view at a quarter of the size (quick to decode)."""


class _Pipe:
    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read_one(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return dict(json.loads(raw))

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        *,
        timeout: float = 30,
    ) -> dict[str, Any]:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_one(deadline)
            if msg.get("id") == wanted:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self.events.append(msg)

    def wait_for(self, method: str, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while True:
            msg = self._read_one(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return


def load_page(url: str, *, width: int = 1040, height: int = 2400, settle: float = 0.5) -> PageLoad:
    """Open ``url`` in a fresh headless Chromium (own profile folder), return what the page did."""
    binary = chromium_path()
    assert binary is not None
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory() as profile:

        def wire() -> None:  # in the child: our pipes become fds 3 and 4 (via high fds: they may be 3 or 4)
            a, b = os.dup2(to_chrome_r, 200), os.dup2(from_chrome_w, 201)
            os.dup2(a, 3, inheritable=True)
            os.dup2(b, 4, inheritable=True)

        proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            preexec_fn=wire,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
        try:
            return _drive(pipe, url, width, height, settle)
        finally:
            with contextlib.suppress(OSError):
                pipe.send("Browser.close")
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_chrome_w)
            os.close(from_chrome_r)


def _drive(pipe: _Pipe, url: str, width: int, height: int, settle: float) -> PageLoad:
    target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Network", "Runtime", "Log", "Page"):
        pipe.call(f"{domain}.enable", session=session)
    pipe.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    pipe.call("Page.navigate", {"url": url}, session=session)
    pipe.wait_for("Page.loadEventFired")
    time.sleep(settle)
    info = pipe.call(
        "Runtime.evaluate",
        {
            "expression": "JSON.stringify([document.querySelectorAll('svg').length, document.title])",
            "returnByValue": True,
        },
        session=session,
    )
    svg_count, title = json.loads(info["result"]["value"])
    shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session)
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 0.25}
    thumb = pipe.call("Page.captureScreenshot", {"format": "png", "clip": clip}, session=session)
    out = PageLoad(
        svg_count=int(svg_count),
        title=str(title),
        screenshot=base64.b64decode(shot["data"]),
        thumbnail=base64.b64decode(thumb["data"]),
    )
    for e in pipe.events:
        if e.get("sessionId") != session:
            continue  # Chromium's own background traffic, not the page's
        method, params = e.get("method"), e.get("params", {})
        if method == "Network.requestWillBeSent":
            req_url = str(params["request"]["url"])
            if not req_url.startswith(("file:", "data:", "about:")):
                out.requests.append(req_url)
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            out.errors.append(str(params.get("exceptionDetails", {}).get("text", "exception")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out.errors.append(str(params["entry"].get("text", "")))
    return out


def save_png(data: bytes, path: Path) -> Path:
    path.write_bytes(data)
    return path
