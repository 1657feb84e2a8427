"""Cost of model calls and the spending limit of one run.

Prices are USD per million tokens, input and output, per model (`OPENREC_LLM_PRICES`).
Cached input tokens are billed at half the input price, the discount OpenAI applies to
prompt-cache hits on its gpt-4o family; a server that reports no cached tokens pays full
price. A model missing from the table (a local Ollama or vLLM model) costs nothing.

Before each call the engine reserves the call's projected cost (its prompt at the input
price plus its whole output allowance at the output price); the reservation is replaced by
the real cost when the reply arrives. A call whose projection would take the run past its
budget is not made: the budget is then exhausted and the rest of the run uses the local
engine. Concurrent calls share one budget safely.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

CHARS_PER_TOKEN = 4  # a conservative average for English text with any tokenizer
CACHED_INPUT_DISCOUNT = 0.5


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate of the tokens in `text`, used only for projections."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class PriceTable:
    def __init__(self, prices: Mapping[str, tuple[float, float]]) -> None:
        self._prices = dict(prices)

    def for_model(self, model: str) -> tuple[float, float]:
        """The model's prices; a dated snapshot (`gpt-4o-mini-2024-07-18`) uses its family's."""
        if model in self._prices:
            return self._prices[model]
        family = max((name for name in self._prices if model.startswith(f"{name}-")), key=len, default=None)
        return self._prices[family] if family else (0.0, 0.0)

    def cost(self, model: str, *, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> float:
        price_in, price_out = self.for_model(model)
        cached = min(tokens_cached, tokens_in)
        billed_in = (tokens_in - cached) + cached * CACHED_INPUT_DISCOUNT
        return (billed_in * price_in + tokens_out * price_out) / 1_000_000


class RunBudget:
    """Spent plus reserved never exceeds the limit; once a call is refused, all later ones are."""

    def __init__(self, limit_usd: float, prices: PriceTable) -> None:
        self.limit_usd = limit_usd
        self.prices = prices
        self._spent = 0.0
        self._reserved = 0.0
        self._exhausted = False
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        return self._spent

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def reserve(self, model: str, *, prompt_tokens: int, max_tokens: int) -> float | None:
        """Reserve a call's projected cost; None (and exhausted from now on) when it does not fit."""
        projected = self.prices.cost(model, tokens_in=prompt_tokens, tokens_out=max_tokens)
        with self._lock:
            if self._exhausted or self._spent + self._reserved + projected > self.limit_usd:
                self._exhausted = True
                return None
            self._reserved += projected
            return projected

    def settle(self, reservation: float, cost_usd: float) -> None:
        """Replace a reservation by what the call really cost."""
        with self._lock:
            self._reserved -= reservation
            self._spent += cost_usd

    def note(self) -> str:
        return (
            f"The run's LLM budget of ${self.limit_usd:.2f} was reached (${self._spent:.4f} spent); "
            "the remaining items were handled by the local engine."
        )
