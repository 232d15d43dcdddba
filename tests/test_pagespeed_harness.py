"""The page-speed benchmark's bookkeeping: its statistics, its trace reading, its report.

No timings here (benchmarks/pagespeed.py measures those); no browser either.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import pagespeed


def test_p90_interpolates_between_closest_ranks() -> None:
    assert pagespeed.p90(list(range(1, 12))) == pytest.approx(10.0)
    assert pagespeed.p90([1.0, 2.0, 3.0]) == pytest.approx(2.8)


def _run(first: float, cpu: float | None = None) -> dict[str, object]:
    return {
        "first_chart_ms": first,
        "kpi_ms": None,
        "last_chart_ms": first,
        "script_done_ms": 100.0,
        "charts": 1,
        "heading": None,
        "ws_bytes": 1000,
        "first_chart_cpu_ms": cpu,
    }


def test_the_ratios_are_of_the_medians_and_of_the_pairs() -> None:
    samples = {
        "ours": [_run(300, 30), _run(200, 20), _run(1000, 100)],
        "reference": [_run(100, 10), _run(200, 20), _run(400, 40)],
    }
    analysis = pagespeed.analyse(samples)
    assert analysis["ratio_of_medians"] == pytest.approx(300 / 200)
    assert analysis["median_pair_ratio"] == pytest.approx(2.5)  # pairs 3.0, 1.0, 2.5
    assert analysis["cpu_ratio_of_medians"] == pytest.approx(1.5)
    assert analysis["stats"]["ours"]["first_chart_ms"]["median"] == 300
    assert analysis["stats"]["reference"]["kpi_ms"] is None


def test_without_a_trace_there_is_no_cpu_ratio() -> None:
    samples = {"ours": [_run(300)] * 3, "reference": [_run(100)] * 3}
    analysis = pagespeed.analyse(samples)
    assert analysis["cpu_ratio_of_medians"] is None and analysis["ratio_of_medians"] == pytest.approx(3.0)


def _event(name: str, ts: int, tid: int = 1, **fields: object) -> dict[str, object]:
    return {"name": name, "ts": ts, "pid": 7, "tid": tid, **fields}


def test_main_thread_cpu_sums_the_thread_time_of_the_tasks_between_the_marks() -> None:
    events = [
        _event("RunTask", 50, ph="X", dur=100, tdur=90_000),  # before the click
        _event("pagespeed:click", 100, ph="R"),
        _event("RunTask", 120, ph="X", dur=5_000, tdur=3_000),
        _event("RunTask", 200, tid=2, ph="X", dur=9_000, tdur=9_000),  # another thread
        _event("FunctionCall", 210, ph="X", dur=1_000, tdur=1_000),  # nested, not a task
        _event("RunTask", 300, ph="X", dur=4_000, tdur=2_500),  # draws the first chart
        _event("pagespeed:first-chart", 305, ph="R"),
        _event("RunTask", 400, ph="X", dur=7_000, tdur=7_000),  # after
    ]
    trace = json.dumps({"traceEvents": events}).encode()
    assert pagespeed.main_thread_cpu_ms(trace) == pytest.approx(5.5)


def test_the_section_shows_both_ratios_and_the_shared_machine_note() -> None:
    samples = {
        "ours": [_run(300, 30), _run(200, 20), _run(1000, 100)],
        "reference": [_run(100, 10), _run(200, 20), _run(400, 40)],
    }
    result = {
        "started_at": "2026-12-02T00:00:00+00:00",
        "duration_s": 60,
        "commit": "abc1234",
        "command": "scripts/bench-pagespeed --trace",
        "cores": 2,
        "machine": "2 cores",
        "load_start": [9.0, 9.0, 9.0],
        "load_end": [9.0, 9.0, 9.0],
        "runs": 3,
        "warmups": 0,
        "analysis": pagespeed.analyse(samples),
    }
    text = pagespeed.render(result)
    assert text.startswith(pagespeed.SECTION)
    assert "**Ratio of medians, first chart: 1.5x**" in text
    assert "**1.5x** (per-pair: 2.5x)" in text
    assert "**Other work shared the machine**" in text  # a load average of 9 on 2 cores
    assert "| ours | 300 ms |" in text and "| reference | 200 ms |" in text
