"""LLM prices for ``cost_usd``: ``--price-per-1k-input/-output`` or the pipeline file's variables.

A pipeline file sets ``price_per_1k_input = 0.15`` and ``price_per_1k_output = 0.60`` (US dollars per
1,000 prompt / completion tokens); the CLI options override them. Negative or non-numeric prices are a
one-line error.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ragtune.exceptions import ConfigError
from ragtune.objectives.llm_usage import Prices

__all__ = ["PriceInOpt", "PriceOutOpt", "price_args", "resolve_prices"]

PriceInOpt = Annotated[
    float | None,
    typer.Option("--price-per-1k-input", help="US dollars per 1,000 LLM prompt tokens (for cost_usd)."),
]
PriceOutOpt = Annotated[
    float | None,
    typer.Option("--price-per-1k-output", help="US dollars per 1,000 LLM completion tokens (for cost_usd)."),
]


def _from_file(namespace: dict[str, Any], name: str) -> float:
    value = namespace.get(name, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} in the pipeline file must be a number of US dollars, but got {value!r}")
    return float(value)


def resolve_prices(namespace: dict[str, Any], price_in: float | None, price_out: float | None) -> Prices:
    """The CLI's prices where given, else the pipeline file's, else 0."""
    return Prices(
        price_in if price_in is not None else _from_file(namespace, "price_per_1k_input"),
        price_out if price_out is not None else _from_file(namespace, "price_per_1k_output"),
    )


def price_args(price_in: float | None, price_out: float | None) -> list[str]:
    """The options that pass the prices on to a worker process."""
    out: list[str] = []
    if price_in is not None:
        out += ["--price-per-1k-input", repr(price_in)]
    if price_out is not None:
        out += ["--price-per-1k-output", repr(price_out)]
    return out
