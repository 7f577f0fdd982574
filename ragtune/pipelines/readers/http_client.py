"""POSTing JSON to an OpenAI-compatible server: URL and credential handling, retries, clear errors.

Standard library only (``urllib.request`` + ``json``). Connection errors, timeouts, HTTP 5xx and 429 are
retried ``max_retries`` times with exponential backoff (``backoff * 2**attempt`` seconds, or the
server's numeric ``Retry-After`` up to 30 s); other HTTP errors fail at once. Failures raise
:class:`~ragtune.exceptions.GeneratorError` naming the URL with credentials masked and the last status.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ragtune.exceptions import GeneratorError

__all__ = ["Target", "mask_url", "post_json", "target"]

_SECRET_QUERY_NAMES = ("key", "token", "secret", "password", "auth", "sig")
_MAX_RETRY_AFTER = 30.0
_CONTEXT_OVERFLOW = re.compile(r"\((\d+) tokens\) exceeds the available context size \((\d+) tokens\)")


def mask_url(url: str) -> str:
    """``url`` with user info and secret-looking query values replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = urllib.parse.urlencode(
        [
            (name, "***" if any(s in name.lower() for s in _SECRET_QUERY_NAMES) else value)
            for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes (``url``, credentials removed), what errors show (``shown``), and headers."""

    url: str
    shown: str
    headers: dict[str, str]


def target(base_url: str, path: str, api_key: str | None) -> Target:
    """The endpoint ``{base_url}/{path}``; user info in the URL becomes a Basic auth header, ``api_key``
    a Bearer one (which wins)."""
    parts = urllib.parse.urlsplit(base_url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    full = parts.path.rstrip("/") + "/" + path.lstrip("/")
    url = urllib.parse.urlunsplit((parts.scheme, netloc, full, parts.query, ""))
    shown = mask_url(urllib.parse.urlunsplit((parts.scheme, parts.netloc, full, parts.query, "")))
    return Target(url, shown, headers)


def _client_error(who: str, shown: str, code: int, detail: str) -> GeneratorError:
    overflow = _CONTEXT_OVERFLOW.search(detail)
    if overflow is not None:
        return GeneratorError(
            f"{who}: the prompt ({overflow[1]} tokens) is longer than the model's context "
            f"({overflow[2]} tokens) at {shown}; lower context_tokens or few_shot, or serve the model "
            "with a larger context (ragtune serve-model --ctx-size)"
        )
    return GeneratorError(f"{who}: POST {shown} failed with HTTP {code}" + (f": {detail}" if detail else ""))


def post_json(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str],
    shown_url: str,
    who: str,
    timeout: float,
    max_retries: int,
    backoff: float,
) -> dict[str, Any]:
    """POST ``body`` and return the JSON object the server answers, retrying as the module says."""
    attempts = 1 + max_retries
    last = "no attempt made"
    unreachable = False
    for attempt in range(attempts):
        delay = backoff * 2**attempt
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as e:
            detail = " ".join(e.read(300).decode("utf-8", "replace").split())
            last = f"HTTP {e.code}" + (f": {detail}" if detail else "")
            unreachable = False
            if e.code != 429 and e.code < 500:
                raise _client_error(who, shown_url, e.code, detail) from e
            retry_after = e.headers.get("Retry-After") if e.headers else None
            if retry_after and retry_after.strip().replace(".", "", 1).isdigit():
                delay = min(float(retry_after), _MAX_RETRY_AFTER)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            last = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
            unreachable = isinstance(reason, ConnectionRefusedError | socket.gaierror)
            if isinstance(reason, TimeoutError) or isinstance(e, TimeoutError):
                last = f"timed out after {timeout:g} s"
        else:
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise GeneratorError(f"{who}: POST {shown_url} returned invalid JSON") from e
            if not isinstance(parsed, dict):
                raise GeneratorError(f"{who}: POST {shown_url} returned JSON that is not an object")
            return parsed
        if attempt + 1 < attempts:
            time.sleep(delay)
    hint = "; is the server running? (start one with: ragtune serve-model MODEL.gguf)" if unreachable else ""
    raise GeneratorError(f"{who}: POST {shown_url} failed after {attempts} attempt(s): {last}{hint}")
