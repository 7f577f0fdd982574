"""Readers: an offline extractive reader and LLM generators (OpenAI-compatible servers, local GGUF files)."""

from __future__ import annotations

from ragtune.pipelines.readers.base import Reader
from ragtune.pipelines.readers.extractive import Extractive
from ragtune.pipelines.readers.gguf import GGUFGenerator
from ragtune.pipelines.readers.openai_chat import OpenAIChatGenerator
from ragtune.pipelines.readers.openai_generator import OpenAIGenerator
from ragtune.pipelines.readers.prompting import ContextOrder, Endpoint, ExampleChoice

__all__ = [
    "ContextOrder",
    "Endpoint",
    "ExampleChoice",
    "Extractive",
    "GGUFGenerator",
    "OpenAIChatGenerator",
    "OpenAIGenerator",
    "Reader",
]
