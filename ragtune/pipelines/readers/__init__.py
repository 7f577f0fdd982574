"""Readers: an offline extractive reader and a client for OpenAI-compatible chat servers."""

from __future__ import annotations

from ragtune.pipelines.readers.base import Reader
from ragtune.pipelines.readers.extractive import Extractive
from ragtune.pipelines.readers.openai_chat import OpenAIChatGenerator

__all__ = ["Extractive", "OpenAIChatGenerator", "Reader"]
