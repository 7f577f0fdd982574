"""Guards: blocked terms, personal data (PII), prompt injection, refusals, and ``Guards`` to combine them."""

from __future__ import annotations

from ragtune.pipelines.guards.base import Guard
from ragtune.pipelines.guards.blocked_terms import BlockedTerms
from ragtune.pipelines.guards.combined import Guards
from ragtune.pipelines.guards.pii import PII
from ragtune.pipelines.guards.prompt_injection import PromptInjection
from ragtune.pipelines.guards.refusal import Refusal
from ragtune.pipelines.records import Verdict

__all__ = ["PII", "BlockedTerms", "Guard", "Guards", "PromptInjection", "Refusal", "Verdict"]
