"""Running the image for the tests: a container of the image's own command, as the Deployment runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract_env import RealProxy
from e2e_helpers import LOOPBACK, Service, free_port, wait_until_ready
from image_buildah import Container, image_config, run_options, stop
from image_pod import Pod

# Where the live container reads its tenants file (the cluster reads Tenant objects instead).
TENANTS_PATH = "/etc/usage-dashboard/tenants.yaml"
HEALTH_TIMEOUT_SECONDS = 90


@dataclass
class Running:
    """A container running the image's own command."""

    container: Container
    service: Service
    options: list[str]

    @property
    def url(self) -> str:
        """Where it answers on loopback."""
        return self.service.url


def start_app(
    image: str,
    pod: Pod,
    workdir: Path,
    *,
    env: Mapping[str, str],
    volumes: list[tuple[Path, str]],
    port: int | None = None,
) -> Running:
    """Run the image's ENTRYPOINT + CMD as the Deployment would: its user, /tmp, environment, files.

    The port comes from the environment (STREAMLIT_SERVER_PORT, like any setting): a pod has its
    own network namespace, a `buildah run` shares the host's, where 8501 may be taken.
    """
    config = image_config(image)
    port = port or free_port()
    options = run_options(
        user=pod.user,
        env={**env, "STREAMLIT_SERVER_PORT": str(port)},
        volumes=volumes,
        tmpfs=pod.empty_dirs,
    )
    container = Container(image)
    log = workdir / f"{container.name}.log"
    try:
        process = container.start([*config.entrypoint, *config.cmd], options=options, log=log)
    except BaseException:
        container.remove()
        raise
    service = Service("container", process, log, f"http://{LOOPBACK}:{port}")
    running = Running(container, service, options)
    try:
        health, _ = pod.probes["startupProbe"]
        wait_until_ready(service, health, timeout=HEALTH_TIMEOUT_SECONDS)
    except BaseException:
        stop_app(running)
        raise
    return running


def stop_app(running: Running) -> None:
    """Stop the container's command and delete the container."""
    stop(running.service.process)
    running.container.remove()


@dataclass(frozen=True)
class Live:
    """The image against the real LiteLLM, behind a real OIDC provider, with one member's tenant."""

    app: Running
    provider_url: str
    member: Mapping[str, Any]
    tenant: str
    display_name: str
    month: str
    proxy: RealProxy
    tenants_file: Path
    env: Mapping[str, str] = field(repr=False)
    secrets: tuple[str, ...] = field(repr=False)  # never to be shown or logged


def tenant_object(name: str, org: str, team: str, alias: str, users: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "platform.example.com/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": name},
        "spec": {"orgId": org, "displayName": f"Image check {name}", "users": users},
        "status": {"litellmTeamId": team, "litellmKeyAlias": alias},
    }
