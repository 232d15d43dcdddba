"""Numbers of the load benchmark: percentiles, and the upstream bound the cache promises.

The app keeps one team-month read for USAGE_CACHE_TTL_SECONDS (st.cache_data, one computation per
key at a time). A read starts only when the previous one of the same team-month has expired (more
than a TTL after it started) or was dropped by Refresh. So over a window of W seconds, one
team-month is read at most floor(W / TTL) + 1 times, plus once per Refresh press that dropped it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), interpolating linearly between the closest ranks."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def reads_bound(team_months: int, window_s: float, ttl_s: float, refresh_presses: int) -> int:
    """Most team-month reads the cache allows: floor(W/TTL) + 1 per team-month, plus one per Refresh."""
    if ttl_s <= 0:
        raise ValueError("a TTL of 0 caches nothing: no bound")
    return team_months * (math.floor(window_s / ttl_s) + 1) + refresh_presses


def median_and_range(values: Iterable[float]) -> tuple[float, float, float]:
    """(median, lowest, highest) of the runs' values."""
    items = list(values)
    return statistics.median(items), min(items), max(items)


def reads_by_team_month(log: Iterable[Mapping[str, object]]) -> dict[str, int]:
    """Team-month reads in the emulator's log: first pages of /team/daily/activity, by 'team month'."""
    counts: dict[str, int] = {}
    for entry in log:
        if entry.get("path") == "/team/daily/activity" and entry.get("page") in ("1", None):
            key = f"{entry.get('team')} {entry.get('month')}"
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
