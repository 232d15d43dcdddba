"""The real `usage-dashboard` console script, run as a subprocess with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLI = Path(sys.executable).with_name("usage-dashboard")
CLI_TIMEOUT_SECONDS = 120
# The two ways the client reads usage, each through its own edge proxy (contract_edge).
PATHS = ("daily_activity", "spend_logs")
# Only these pass through from the test process: never the app's own LITELLM_*/TENANT_* settings.
_PASS_THROUGH = {"PATH", "PYTHONPATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}


@dataclass(frozen=True)
class CliRun:
    """One finished `usage-dashboard` process."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """stdout as JSON, after checking the run succeeded."""
        assert self.returncode == 0, f"{self.args} exited {self.returncode}: {self.stderr}"
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def cli_env(base_url: str, master_key: str, tenants_file: Path) -> dict[str, str]:
    """Exactly the CLI's configuration, plus what a process needs to start."""
    env = {name: value for name, value in os.environ.items() if name in _PASS_THROUGH}
    env.update(
        LITELLM_BASE_URL=base_url,
        LITELLM_MASTER_KEY=master_key,
        TENANTS_FILE=str(tenants_file),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_cli_process(args: tuple[str, ...], env: dict[str, str]) -> CliRun:
    """Run the console script and capture everything."""
    done = subprocess.run(
        [str(CLI), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    return CliRun(args, done.returncode, done.stdout, done.stderr)
