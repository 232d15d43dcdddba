"""One benchmark team-month: N requests of a 5-tenant team, generated deterministically, with truth.

Rows are held as numpy columns (1M requests fit in a few tens of MB) and rendered on demand in the
shape of LiteLLM's own spend-log rows (templates in fixtures/ are real /spend/logs/v2 answers), so
the emulator and the Postgres loader serve exactly the rows the ground truth was computed from.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from usage_core.months import Month

FIXTURES = Path(__file__).with_name("fixtures")
DAY_MS = 86_400_000

# Prefix siblings on purpose: LiteLLM's key_alias filter is a substring match.
ALIASES = ("acme", "acme-dev", "acme-prod", "acme-prod-eu", "beta")
ALIAS_WEIGHTS = (0.30, 0.20, 0.20, 0.15, 0.15)
TENANT_ALIAS = "acme"  # the tenant whose report is measured: a prefix of three siblings

INPUT_PRICE = 0.000001  # the real proxy's config.yaml prices, per token
OUTPUT_PRICE = 0.000002


@dataclass(frozen=True)
class Model:
    """A model of the real proxy's config: name, provider model, deployment id, api_base."""

    group: str
    name: str
    model_id: str
    api_base: str
    fails: bool


MODELS = (
    Model(
        "mock-gpt",
        "openai/mock-gpt",
        "bc0b7382c54b4c0668c881ea2a62ec01b1ad54abc124811df68379fe5ff19048",
        "",
        False,
    ),
    Model(
        "fake-gpt",
        "openai/fake-gpt",
        "2d9c6700b4c613df7867dbef998070d40923719a80cd6ad8dabbc4c83c1bfaf1",
        "http://127.0.0.1:41017/v1/",
        False,
    ),
    Model(
        "broken-gpt",
        "openai/broken-gpt",
        "eda711388363e4a3a3a34efe8594b69efeb1e05cf09353b4eb8985ab6a81bf16",
        "http://127.0.0.1:18099/v1",
        True,
    ),
)
MODEL_WEIGHTS = (0.55, 0.40, 0.05)


def hash_token(raw: str) -> str:
    """LiteLLM stores sha256(raw key) as the key's token."""
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Totals:
    """Ground-truth counters for one population (the CSV's columns)."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    requests: int
    successful_requests: int
    failed_requests: int
    spend: float

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class TeamMonth:
    """N requests of one team in one month, split over 5 keys and 3 models."""

    n: int
    month: Month
    team_id: str
    team_alias: str = "tenant-acme"
    tokens: tuple[str, ...] = ()  # hashed key tokens, one per alias
    seed: int = 20261101
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def generate(cls, n: int, month: Month, *, team_id: str | None = None, tokens=None) -> TeamMonth:
        """Generate N rows; startTimes are unique ms, the first at 00:00:00.000, the last at
        23:59:59.999 of the month's last day (the instant the original's bounds lose)."""
        rng = np.random.default_rng(cls.seed + n)
        team_id = team_id or str(uuid.UUID(int=rng.integers(0, 2**63).item() << 64 | n))
        if tokens is None:
            tokens = tuple(hash_token(f"sk-bench-{team_id}-{a}") for a in ALIASES)
        month_ms = int((month.end - month.start).total_seconds() * 1000)
        # Evenly spaced slots with jitter inside each slot: sorted, unique, spread over the month.
        slot = month_ms / n
        offsets = (np.arange(n) * slot + rng.random(n) * (slot - 1)).astype(np.int64)
        offsets[0], offsets[-1] = 0, month_ms - 1
        offsets = np.maximum.accumulate(offsets)
        start_ms = int(month.start.timestamp() * 1000)
        key = rng.choice(len(ALIASES), size=n, p=ALIAS_WEIGHTS).astype(np.int8)
        key[-1] = 0  # the month's last instant belongs to the measured tenant
        model = rng.choice(len(MODELS), size=n, p=MODEL_WEIGHTS).astype(np.int8)
        failed = model == 2
        prompt = rng.integers(5, 2000, size=n).astype(np.int64)
        completion = np.where(failed, 0, rng.integers(1, 800, size=n)).astype(np.int64)
        spend = np.where(failed, 0.0, prompt * INPUT_PRICE + completion * OUTPUT_PRICE)
        duration = rng.integers(5, 3000, size=n).astype(np.int64)
        columns = {
            "ts": start_ms + offsets,
            "key": key,
            "model": model,
            "failed": failed,
            "prompt": prompt,
            "completion": completion,
            "spend": spend,
            "duration": duration,
        }
        return cls(n=n, month=month, team_id=team_id, tokens=tuple(tokens), columns=columns)

    # -- ground truth -----------------------------------------------------------------------

    def truth(self, alias: str | None = TENANT_ALIAS) -> Totals:
        """What a correct report shows for one alias (None: the whole team)."""
        mask = self._mask(alias)
        c = self.columns
        prompt, completion = c["prompt"][mask], c["completion"][mask]
        failed = int(c["failed"][mask].sum())
        requests = int(mask.sum())
        return Totals(
            input_tokens=int(prompt.sum()),
            output_tokens=int(completion.sum()),
            total_tokens=int(prompt.sum() + completion.sum()),
            requests=requests,
            successful_requests=requests - failed,
            failed_requests=failed,
            spend=math.fsum(c["spend"][mask].tolist()),
        )

    def truth_daily_requests(self, alias: str | None = TENANT_ALIAS) -> dict[str, int]:
        """Requests per UTC day for one alias, every day of the month (zeros included)."""
        mask = self._mask(alias)
        days = (self.columns["ts"][mask] - int(self.month.start.timestamp() * 1000)) // DAY_MS
        counts = np.bincount(days, minlength=self.days_in_month)
        return {(self.month.first_day + timedelta(days=i)).isoformat(): int(v) for i, v in enumerate(counts)}

    @property
    def days_in_month(self) -> int:
        return (self.month.last_day - self.month.first_day).days + 1

    def _mask(self, alias: str | None) -> np.ndarray:
        if alias is None:
            return np.ones(self.n, dtype=bool)
        return self.columns["key"] == ALIASES.index(alias)

    # -- daily aggregates (LiteLLM_DailyTeamSpend rows) -------------------------------------

    @cached_property
    def daily_rows(self) -> list[dict[str, Any]]:
        """One row per (UTC date, key, model), newest date first, as the proxy's daily table holds."""
        c = self.columns
        nk, nm = len(ALIASES), len(MODELS)
        day = (c["ts"] - int(self.month.start.timestamp() * 1000)) // DAY_MS
        code = (day * nk + c["key"]) * nm + c["model"]
        size = self.days_in_month * nk * nm

        def total(weights: np.ndarray | None = None) -> np.ndarray:
            return np.bincount(code, weights=weights, minlength=size)

        requests = total()
        prompt, completion = total(c["prompt"]), total(c["completion"])
        failed = total(c["failed"].astype(np.float64))
        spend = total(c["spend"])
        timed = np.where(c["failed"], 0, c["duration"]).astype(np.float64)
        response_ms = total(timed)
        rows: list[dict[str, Any]] = []
        for i in np.nonzero(requests)[0][::-1]:  # date desc
            d, rest = divmod(int(i), nk * nm)
            k, m = divmod(rest, nm)
            model = MODELS[m]
            n_req, n_fail = int(requests[i]), int(failed[i])
            rows.append(
                {
                    "date": (self.month.first_day + timedelta(days=d)).isoformat(),
                    "api_key": self.tokens[k],
                    "key_alias": ALIASES[k],
                    "model": model.name,
                    "model_group": model.group,
                    "prompt_tokens": int(prompt[i]),
                    "completion_tokens": int(completion[i]),
                    "spend": float(spend[i]),
                    "api_requests": n_req,
                    "successful_requests": n_req - n_fail,
                    "failed_requests": n_fail,
                    "total_response_time_ms": int(response_ms[i]),
                    "timed_requests": n_req - n_fail,
                }
            )
        # newest date first; inside a date, a stable order (the proxy sorts by row id)
        rows.sort(key=lambda r: (r["date"], r["api_key"], r["model"]), reverse=False)
        rows.sort(key=lambda r: r["date"], reverse=True)
        return rows

    # -- spend-log rows ---------------------------------------------------------------------

    def request_id(self, i: int) -> str:
        """A stable, unique request id for row i."""
        return f"chatcmpl-{self.team_id[:8]}-{self.n:07d}-{i:07d}"

    def row_values(self, i: int) -> dict[str, Any]:
        """The per-row variables substituted into a row template."""
        c = self.columns
        ts = int(c["ts"][i])
        dur = int(c["duration"][i])
        prompt, completion = int(c["prompt"][i]), int(c["completion"][i])
        spend = float(c["spend"][i])
        return {
            "rid": self.request_id(i),
            "call": f"{self.team_id[:8]}-{i:08x}-call",
            "session": f"{self.team_id[:8]}-{i:08x}-session",
            "start": ts,
            "end": ts + dur,
            "prompt": prompt,
            "completion": completion,
            "total": prompt + completion,
            "spend": repr(spend),
            "in_cost": repr(prompt * INPUT_PRICE),
            "out_cost": repr(completion * OUTPUT_PRICE),
            "duration": dur,
        }


def iso_ms(epoch_ms: int, sep: str = "T", tz: str = "+00:00") -> str:
    """2026-10-05T12:34:56.789+00:00 (LiteLLM's JSON) or with sep=' ', tz='' (Postgres text)."""
    dt = datetime.fromtimestamp(epoch_ms // 1000, UTC)
    return f"{dt:%Y-%m-%d}{sep}{dt:%H:%M:%S}.{epoch_ms % 1000:03d}{tz}"


def load_row_templates() -> dict[str, dict[str, Any]]:
    """Real /spend/logs/v2 rows (success and failure) from the proxy this benchmark targets."""
    return json.loads((FIXTURES / "spend_log_rows.json").read_text())


def month_for_benchmark(now: datetime | None = None) -> Month:
    """The last complete month: every day, including the last one, holds rows."""
    return Month.current(now).previous()
