"""The demo emulator over loopback HTTP with a random per-request latency, logging every request.

Wraps usage_core.demo's DemoLiteLLM (the demo teams, a real master key) for benchmarks.server's
threaded HTTP server, which counts requests per path at the server.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx

from usage_core.demo import DemoLiteLLM


class SlowEmulator:
    """An httpx handler: sleep a seeded uniform latency, then answer as DemoLiteLLM does."""

    def __init__(self, master_key: str, *, low_s: float, high_s: float, seed: int) -> None:
        self.app = DemoLiteLLM(master_key=master_key)
        self.low_s, self.high_s = low_s, high_s
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            delay = self.rng.uniform(self.low_s, self.high_s)
            self.log.append(self._entry(request, delay))
        time.sleep(delay)  # a network hop and a proxy's own work, before the answer
        return self.app(request)

    def _entry(self, request: httpx.Request, delay: float) -> dict[str, Any]:
        params = request.url.params
        return {
            "t": time.monotonic(),  # the clock of asyncio's default event loop
            "path": request.url.path,
            "team": params.get("team_id") or params.get("team_ids"),
            "month": (params.get("start_date") or "")[:7] or None,
            "page": params.get("page"),
            "delay_ms": round(delay * 1000, 1),
        }

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the log so far."""
        with self.lock:
            return list(self.log)
