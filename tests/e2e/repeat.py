"""Run the browser suite N times in a row; print each run's result and duration, then the tally.

Usage (from the repository root, with PYTHONPATH=$PWD): python tests/e2e/repeat.py 20 [log-dir]
Each run's full pytest output goes to log-dir/run-<i>.log. Exit code 0 only if every run passed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE = Path(__file__).resolve().parent


def run_once(log: Path) -> tuple[int, float, str]:
    """One `pytest tests/e2e` run: exit code, seconds, and pytest's closing line."""
    start = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.call(
            [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    lines = log.read_text(errors="replace").strip().splitlines()
    return code, time.monotonic() - start, lines[-1] if lines else "(no output)"


def main(argv: list[str]) -> int:
    """Run the suite `argv[0]` times; logs in `argv[1]` (a fresh temporary folder by default)."""
    runs = int(argv[0]) if argv else 20
    logs = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="e2e-repeat-"))
    logs.mkdir(parents=True, exist_ok=True)
    durations: list[float] = []
    failed: list[int] = []
    for i in range(1, runs + 1):
        code, seconds, closing = run_once(logs / f"run-{i}.log")
        durations.append(seconds)
        if code != 0:
            failed.append(i)
        verdict = "pass" if code == 0 else f"FAIL (exit {code})"
        print(f"run {i}: {verdict} {seconds:.0f}s: {closing}", flush=True)
    print(
        f"{runs - len(failed)} of {runs} runs green; failed runs: {failed or 'none'}; "
        f"median {statistics.median(durations):.0f}s, min {min(durations):.0f}s, "
        f"max {max(durations):.0f}s; logs in {logs}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
