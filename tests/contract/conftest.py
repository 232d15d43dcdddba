"""Fixtures for the contract tests: a real LiteLLM (named by REAL_LITELLM_ENV), one data set per
run, the edge proxy that plays an older LiteLLM, LiteLLM's own numbers, and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from contract_edge import EdgeProxy
from contract_env import ProxyEnvError, RealProxy, load_real_proxy
from contract_seed import Seed, build_seed

CLI = Path(sys.executable).with_name("usage-dashboard")
CLI_TIMEOUT_SECONDS = 60
# The two ways the client can read usage; "direct" is the real proxy without the edge in between.
PATHS = ("daily_activity", "spend_logs")


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


@pytest.fixture(scope="session")
def real_proxy() -> RealProxy:
    """The running proxy; a missing REAL_LITELLM_ENV fails every contract test, loudly."""
    try:
        proxy = load_real_proxy()
    except ProxyEnvError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        httpx.get(f"{proxy.base_url}/health/liveliness", timeout=10.0).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(
            f"The real LiteLLM at {proxy.base_url} does not answer ({type(exc).__name__}); "
            "is it running? ../shared/real-litellm/up /tmp/litellm starts one.",
            pytrace=False,
        )
    return proxy


@pytest.fixture(scope="session")
def seed(real_proxy: RealProxy) -> Seed:
    """Teams, keys, completions and boundary rows of this run, flushed into LiteLLM's tables."""
    return build_seed(real_proxy)


@pytest.fixture(scope="session")
def db(real_proxy: RealProxy) -> Iterator[psycopg.Connection[Any]]:
    """A read connection to LiteLLM's Postgres."""
    with psycopg.connect(real_proxy.database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def edges(real_proxy: RealProxy) -> Iterator[dict[str, EdgeProxy]]:
    """A pass-through edge (the daily path) and one that hides /team/daily/activity (fallback)."""
    with (
        EdgeProxy(real_proxy.base_url, hide_daily_activity=False) as passthrough,
        EdgeProxy(real_proxy.base_url, hide_daily_activity=True) as older,
    ):
        yield {"daily_activity": passthrough, "spend_logs": older}


@pytest.fixture(scope="session")
def tenants_file(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TENANTS_FILE with this run's tenants (one without an alias yet)."""
    keys = seed.keys

    def tenant(name: str, org: str, team: str, alias: str | None) -> dict[str, Any]:
        status = {"litellmTeamId": team} | ({"litellmKeyAlias": alias} if alias else {})
        return {
            "apiVersion": "platform.example.com/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": name},
            "spec": {"orgId": org, "displayName": name.title(), "users": [f"ops@{org}.example"]},
            "status": status,
        }

    base = keys["base"].alias
    assert base is not None
    items = [
        tenant(base, f"acme-{seed.suffix}", seed.team_a, keys["base"].alias),
        tenant(f"{base}-dev", f"acme-{seed.suffix}", seed.team_a, keys["dev"].alias),
        tenant(f"{base}-new", f"acme-{seed.suffix}", seed.team_a, None),
        tenant(f"{base}-prod", f"other-{seed.suffix}", seed.team_b, keys["prod"].alias),
    ]
    path = tmp_path_factory.mktemp("contract") / "tenants.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def cli_env(base_url: str, master_key: str, tenants_file: Path) -> dict[str, str]:
    """A clean environment: only what the CLI is configured with (no LITELLM_* leaks in)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    }
    env.update(
        LITELLM_BASE_URL=base_url,
        LITELLM_MASTER_KEY=master_key,
        TENANTS_FILE=str(tenants_file),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def run_cli(real_proxy: RealProxy, edges: dict[str, EdgeProxy], tenants_file: Path) -> Callable[..., CliRun]:
    """`run_cli(*args, path=, base_url=, master_key=, fresh=)`: the real console script.

    `path` is "direct" (the real proxy), "daily_activity" (through the pass-through edge) or
    "spend_logs" (through the edge that hides the daily endpoint). Successful runs are remembered
    per (path, args) because several tests read the same export; `fresh=True` runs again.
    """
    assert CLI.exists(), f"{CLI} is missing: pip install -e '.[dev]' first"
    cache: dict[tuple[Any, ...], CliRun] = {}

    def run(
        *args: str,
        path: str = "direct",
        base_url: str | None = None,
        master_key: str | None = None,
        fresh: bool = False,
    ) -> CliRun:
        url = base_url or (real_proxy.base_url if path == "direct" else edges[path].url)
        key = master_key if master_key is not None else real_proxy.master_key
        memo = (path, url, key, args)
        if memo in cache and not fresh:
            return cache[memo]
        done = subprocess.run(
            [str(CLI), *args],
            env=cli_env(url, key, tenants_file),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
            check=False,
        )
        result = CliRun(tuple(args), done.returncode, done.stdout, done.stderr)
        if result.returncode == 0:
            cache[memo] = result
        return result

    return run
