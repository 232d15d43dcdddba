"""Where the real LiteLLM proxy of the contract tests lives: the env file named by REAL_LITELLM_ENV."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

START_HINT = (
    "The contract tests need a real LiteLLM proxy. Start one and point REAL_LITELLM_ENV at its env "
    "file:\n"
    "    ../shared/real-litellm/up /tmp/litellm\n"
    "    REAL_LITELLM_ENV=/tmp/litellm/env .venv/bin/pytest -m contract tests/contract\n"
    "(stop it with ../shared/real-litellm/down /tmp/litellm). To run everything else: -m 'not contract'."
)


class ProxyEnvError(Exception):
    """The proxy's env file is missing or incomplete; the message says how to fix it."""


@dataclass(frozen=True)
class RealProxy:
    """Coordinates of one running proxy (never printed: the repr hides the key)."""

    base_url: str
    master_key: str = field(repr=False)
    database_url: str = field(repr=False)
    version: str


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the `NAME=value` lines that `up` writes (shell quoting allowed)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, raw = line.partition("=")
        name = name.removeprefix("export ").strip()
        parts = shlex.split(raw) if raw.strip() else [""]
        values[name] = parts[0] if parts else ""
    return values


def load_real_proxy(environ: dict[str, str] | None = None) -> RealProxy:
    """The proxy named by REAL_LITELLM_ENV (never the app's own LITELLM_* variables)."""
    env = os.environ if environ is None else environ
    location = env.get("REAL_LITELLM_ENV", "").strip()
    if not location:
        raise ProxyEnvError("REAL_LITELLM_ENV is not set.\n" + START_HINT)
    path = Path(location)
    if not path.is_file():
        raise ProxyEnvError(f"REAL_LITELLM_ENV={location}: no such file.\n" + START_HINT)
    values = read_env_file(path)
    missing = [
        name
        for name in ("LITELLM_BASE_URL", "LITELLM_MASTER_KEY", "LITELLM_DATABASE_URL")
        if not values.get(name)
    ]
    if missing:
        raise ProxyEnvError(f"{location} lacks {', '.join(missing)}.\n" + START_HINT)
    return RealProxy(
        base_url=values["LITELLM_BASE_URL"].rstrip("/"),
        master_key=values["LITELLM_MASTER_KEY"],
        database_url=values["LITELLM_DATABASE_URL"],
        version=values.get("REAL_LITELLM_VERSION", "unknown"),
    )
