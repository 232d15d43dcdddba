"""Fixtures for the contract tests: a real LiteLLM (named by REAL_LITELLM_ENV), one data set per
run, the edge proxy that plays an older LiteLLM, LiteLLM's own numbers, and the real CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from contract_cli import CLI, CliRun, cli_env, run_cli_process
from contract_edge import EdgeProxy
from contract_env import ProxyEnvError, RealProxy, load_real_proxy
from contract_seed import BULK_MONTH, Seed, build_seed, insert_bulk_month


@pytest.fixture(scope="session")
def real_proxy() -> RealProxy:
    """The running proxy; a missing REAL_LITELLM_ENV fails every contract test, loudly."""
    problem = ""
    try:
        proxy = load_real_proxy()
        httpx.get(f"{proxy.base_url}/health/liveliness", timeout=10.0).raise_for_status()
    except ProxyEnvError as exc:
        problem = str(exc)
    except httpx.HTTPError as exc:
        problem = (
            f"The real LiteLLM at {proxy.base_url} does not answer ({type(exc).__name__}); "
            "is it running? ../shared/real-litellm/up /tmp/litellm starts one."
        )
    if problem:
        pytest.fail(problem, pytrace=False)  # outside `except`: one clear message, no chain
    return proxy


@pytest.fixture(scope="session")
def seed(real_proxy: RealProxy) -> Seed:
    """Teams, keys, completions and boundary rows of this run, flushed into LiteLLM's tables."""
    return build_seed(real_proxy)


@pytest.fixture(scope="session")
def bulk_month(real_proxy: RealProxy, seed: Seed) -> str:
    """A past month with more rows than either endpoint serves on one page (team A)."""
    insert_bulk_month(real_proxy, seed.keys)
    return BULK_MONTH


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
        result = run_cli_process(tuple(args), cli_env(url, key, tenants_file))
        if result.returncode == 0:
            cache[memo] = result
        return result

    return run
