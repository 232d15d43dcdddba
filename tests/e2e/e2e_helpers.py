"""Processes, waiting and parsing for the browser end-to-end suite (no pytest, no browser here)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from usage_core.config import Settings

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
CSV_HEADER = "date,input_tokens,output_tokens,total_tokens,requests,successful_requests,failed_requests,spend"

# The configuration contract (DESIGN.md) plus what could point the app elsewhere: the app under
# test must run on the embedded demo, whatever the developer's shell exports.
_CONTRACT_VARIABLES = frozenset({*(name.upper() for name in Settings.model_fields), "KUBECONFIG"})


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without the app's settings, Streamlit's, or the user's home."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _CONTRACT_VARIABLES and not key.upper().startswith("STREAMLIT_")
    }
    env["HOME"] = str(home)  # keeps ~/.streamlit (config, credentials, secrets) out of the run
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Service:
    """A child process serving HTTP on loopback, with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def log_tail(self, lines: int = 40) -> str:
        """The end of the log, for failure messages."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the process (and only it), then kill it if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass(frozen=True)
class Stack:
    """What the browser talks to: the app and its identity provider."""

    app_url: str
    provider_url: str
    personas: Mapping[str, Mapping[str, Any]]
    app: Service
    provider: Service
    secrets: tuple[str, ...]  # the OIDC client secret and the cookie secret: never to be shown


def start_service(
    name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path, url: str
) -> Service:
    """Start a child process with stdout and stderr going to `log`."""
    with log.open("wb") as out:
        process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    return Service(name, process, log, url)


def wait_until_ready(
    service: Service,
    path: str,
    *,
    timeout: float = 60.0,
    ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> None:
    """Poll `service.url + path` until `ready`; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(
                f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}"
            )
        try:
            response = httpx.get(service.url + path, timeout=2.0)
            if ready(response):
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise RuntimeError(f"{service.name} not ready after {timeout:.0f}s ({last}):\n{service.log_tail()}")


def port_was_taken(service: Service) -> bool:
    """Whether the service died because another process bound its port first (a rare race)."""
    return service.process.poll() is not None and "already in use" in service.log_tail().lower()


def start_oidc_provider(
    users: Iterable[Mapping[str, object]], *, workdir: Path, env: Mapping[str, str]
) -> Service:
    """oidc-provider-mock on loopback: registration and nonce required, `users` predefined."""
    for attempt in range(3):
        port = free_port()
        argv = [sys.executable, "-m", "oidc_provider_mock", "--host", LOOPBACK, "--port", str(port)]
        argv += ["--require-registration", "true", "--require-nonce", "true"]
        for claims in users:
            argv += ["--user-claims", json.dumps(dict(claims))]
        service = start_service(
            "oidc-provider-mock",
            argv,
            env={**env, "NO_COLOR": "1"},
            cwd=workdir,
            log=workdir / "oidc-provider.log",
            url=f"http://{LOOPBACK}:{port}",
        )
        try:
            wait_until_ready(service, "/.well-known/openid-configuration", timeout=30)
            return service
        except RuntimeError:
            service.stop()
            if attempt == 2 or not port_was_taken(service):
                raise
        except BaseException:
            service.stop()
            raise
    raise AssertionError("unreachable")


def register_client(provider_url: str, redirect_uri: str) -> tuple[str, str]:
    """Dynamic client registration; the provider then accepts only this exact redirect URI."""
    response = httpx.post(
        f"{provider_url}/oauth2/clients",
        json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_basic"},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    return str(body["client_id"]), str(body["client_secret"])


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is a valid subset for these values)."""
    return json.dumps(value)


def write_auth_secrets(
    path: Path, *, redirect_uri: str, client_id: str, client_secret: str, provider_url: str
) -> str:
    """Streamlit's `[auth]` section for one OIDC provider; returns the cookie secret it chose."""
    cookie_secret = os.urandom(24).hex()
    lines = [
        "[auth]",
        f"redirect_uri = {toml_string(redirect_uri)}",
        f"cookie_secret = {toml_string(cookie_secret)}",
        f"client_id = {toml_string(client_id)}",
        f"client_secret = {toml_string(client_secret)}",
        f"server_metadata_url = {toml_string(provider_url + '/.well-known/openid-configuration')}",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return cookie_secret


def start_streamlit(app: Path, *, port: int, secrets: Path, workdir: Path, env: Mapping[str, str]) -> Service:
    """`streamlit run app` on loopback, secrets only from `secrets`, cwd and HOME in `workdir`."""
    argv = [sys.executable, "-m", "streamlit", "run", str(app)]
    argv += ["--server.headless", "true", "--server.address", LOOPBACK, "--server.port", str(port)]
    # An explicit list replaces Streamlit's lookup (~/.streamlit, CWD, and the script's folder),
    # so a developer's own .streamlit/secrets.toml in the repository is never read.
    argv += ["--secrets.files", str(secrets)]
    argv += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    argv += ["--server.runOnSave", "false", "--global.developmentMode", "false"]
    # What a visitor on a real host name gets ("auto" shows developer menus on loopback only).
    argv += ["--client.toolbarMode", "viewer"]
    service = start_service(
        "streamlit",
        argv,
        env=env,
        cwd=workdir,
        log=workdir / "streamlit.log",
        url=f"http://{LOOPBACK}:{port}",
    )
    try:
        wait_until_ready(service, "/_stcore/health", timeout=90)
    except BaseException:
        service.stop()
        raise
    return service


def start_app_behind(
    provider: Service, app: Path, *, workdir: Path, env: Mapping[str, str]
) -> tuple[Service, tuple[str, str]]:
    """Register an OIDC client for a fresh port, write `[auth]`, start the app on that port.

    Returns the app and the two secrets it was given (client secret, cookie secret).
    """
    secrets = workdir / ".streamlit" / "secrets.toml"
    for attempt in range(3):
        port = free_port()
        redirect_uri = f"http://{LOOPBACK}:{port}/oauth2callback"
        client_id, client_secret = register_client(provider.url, redirect_uri)
        cookie_secret = write_auth_secrets(
            secrets,
            redirect_uri=redirect_uri,
            client_id=client_id,
            client_secret=client_secret,
            provider_url=provider.url,
        )
        try:
            service = start_streamlit(app, port=port, secrets=secrets, workdir=workdir, env=env)
        except RuntimeError:
            log = (workdir / "streamlit.log").read_text(errors="replace").lower()
            if attempt == 2 or "already in use" not in log:
                raise
            continue
        return service, (client_secret, cookie_secret)
    raise AssertionError("unreachable")


# --- text and numbers on screen, and in the CSV ----------------------------------------------

# What the app's plain-text layer may insert into outside text (after ':', '@', '.', ...) so that
# it never becomes a link or a formula; a person does not see them, so comparisons ignore them.
_INVISIBLE = str.maketrans("", "", "\u2060\u200b\ufeff")


def normalise_text(text: str) -> str:
    """Text as a person reads it: invisible joiners removed, every run of whitespace one space."""
    return " ".join(text.translate(_INVISIBLE).split())


_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_NUMBER = re.compile(r"(-?)\$?\s*(-?[0-9][0-9,]*(?:\.[0-9]+)?)\s*([KMBT]?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Shown:
    """A number as displayed, with the half-unit of its last digit (what rounding may hide)."""

    value: float
    tolerance: float

    def matches(self, exact: float) -> bool:
        """Whether `exact`, rounded the way the screen rounds, could be displayed as this."""
        return math.isclose(exact, self.value, abs_tol=self.tolerance * 1.0001 + 1e-9)


def parse_shown_number(text: str) -> Shown:
    """Parse a metric value such as "$1,234.56", "12,345", "1.2M" or "$0.0042"."""
    match = _NUMBER.search(text.replace("\u2212", "-"))
    if match is None:
        raise ValueError(f"no number in {text!r}")
    sign, digits, suffix = match.groups()
    scale = _SUFFIX[suffix.upper()]
    plain = digits.replace(",", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    value = float(plain) * scale * (-1 if sign else 1)
    return Shown(value, 0.5 * 10**-decimals * scale)


@dataclass(frozen=True)
class CsvTotals:
    """The sums of a downloaded usage CSV."""

    rows: int
    dates: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    total_tokens: int
    requests: int
    failed_requests: int
    spend: float


def csv_totals(text: str) -> CsvTotals:
    """Sum the daily rows of a usage CSV (header checked by the caller)."""
    rows = list(csv.DictReader(io.StringIO(text)))

    def total(column: str) -> int:
        return sum(int(row[column]) for row in rows)

    return CsvTotals(
        rows=len(rows),
        dates=tuple(row["date"] for row in rows),
        input_tokens=total("input_tokens"),
        output_tokens=total("output_tokens"),
        total_tokens=total("total_tokens"),
        requests=total("requests"),
        failed_requests=total("failed_requests"),
        spend=math.fsum(float(row["spend"]) for row in rows),
    )
