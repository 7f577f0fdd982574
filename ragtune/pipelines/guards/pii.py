"""A guard that fails on personal data: email addresses, phone numbers and card numbers (Luhn-checked)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from ragtune.pipelines.guards.base import Scope, ScopedParams, targets
from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["PII", "PIIMatch", "PIIParams", "find_pii", "luhn_valid"]

PIIKind = Literal["email", "phone", "card"]

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w])")
_PHONE_NANP = re.compile(r"(?<![\w(])(?:\(\d{3}\)[ ]?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w])")
_LABELS = {"email": "email address", "phone": "phone number", "card": "card number"}


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    if not digits.isdigit():
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class PIIMatch:
    kind: PIIKind
    start: int
    end: int
    text: str


def find_pii(text: str, kinds: Sequence[PIIKind] = ("email", "phone", "card")) -> list[PIIMatch]:
    """Email addresses, phone numbers and Luhn-valid 13-19 digit card numbers in ``text``, in order.

    Phone numbers are ``+<country code>`` numbers with 8-15 digits, or North American ``(555) 123-4567``
    / ``555-123-4567`` forms; digit runs that are card numbers are not also reported as phones.
    """
    found: list[PIIMatch] = []
    if "email" in kinds:
        found.extend(PIIMatch("email", m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text))
    cards = [
        m
        for m in _CARD.finditer(text)
        if 13 <= len(d := re.sub(r"\D", "", m.group())) <= 19 and luhn_valid(d)
    ]
    if "card" in kinds:
        found.extend(PIIMatch("card", m.start(), m.end(), m.group()) for m in cards)
    if "phone" in kinds:
        taken = [(m.start(), m.end()) for m in cards] + [(f.start, f.end) for f in found if f.kind == "email"]
        for pattern in (_PHONE_INTERNATIONAL, _PHONE_NANP):
            for m in pattern.finditer(text):
                digits = len(re.sub(r"\D", "", m.group()))
                overlaps = any(m.start() < e and s < m.end() for s, e in taken)
                if not overlaps and (pattern is _PHONE_NANP or 8 <= digits <= 15):
                    found.append(PIIMatch("phone", m.start(), m.end(), m.group()))
                    taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: (f.start, f.end))


class PIIParams(ScopedParams):
    kinds: tuple[PIIKind, ...] = Field(default=("email", "phone", "card"), min_length=1)
    """Which kinds of personal data fail the check."""


class PII(ParamStage[PIIParams]):
    """Fails with one reason per kind and place, e.g. ``"card number in answer"`` (the data is not echoed)."""

    kind: ClassVar[str] = "pii"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = PIIParams

    def __init__(
        self, *, kinds: Sequence[PIIKind] = ("email", "phone", "card"), scope: Scope = "both"
    ) -> None:
        super().__init__(kinds=tuple(kinds), scope=scope)

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict:
        reasons: list[str] = []
        for where, text in targets(self.params.scope, answer, context):
            kinds = dict.fromkeys(m.kind for m in find_pii(text, self.params.kinds))
            reasons.extend(f"{_LABELS[kind]} in {where}" for kind in kinds)
        return Verdict(not reasons, tuple(reasons))
