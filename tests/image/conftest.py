"""Fixtures for the image tier: the built image (USAGE_DASHBOARD_IMAGE, set by scripts/image), the
Deployment it must agree with, containers run the way that Deployment runs them, the real LiteLLM
of the contract tests, a real OIDC provider and Debian's Chromium (both from the e2e suite)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import yaml

TESTS = Path(__file__).resolve().parents[1]
for helpers in (TESTS / "e2e", TESTS / "contract"):  # their helper modules are top-level modules
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

from contract_env import ProxyEnvError, RealProxy, load_real_proxy  # noqa: E402
from contract_seed import create_teams_and_keys, send_completions, wait_for_flush  # noqa: E402
from e2e_helpers import (  # noqa: E402
    LOOPBACK,
    clean_env,
    free_port,
    register_client,
    start_oidc_provider,
    write_auth_secrets,
)
from image_buildah import Container, image_exists  # noqa: E402
from image_pod import Pod  # noqa: E402
from image_stack import TENANTS_PATH, Live, Running, start_app, stop_app, tenant_object  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

IMAGE_VARIABLE = "USAGE_DASHBOARD_IMAGE"


def _e2e_conftest() -> ModuleType:
    """tests/e2e/conftest.py as a plain module, for its Chromium path, flags and loopback route."""
    spec = importlib.util.spec_from_file_location("e2e_conftest", TESTS / "e2e" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


E2E = _e2e_conftest()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a built image the image tier is not part of the run (deselected, not skipped).

    scripts/test runs every other tier; scripts/image builds the image, names it and runs this one.
    """
    if os.environ.get(IMAGE_VARIABLE, "").strip():
        return
    tier = [item for item in items if item.get_closest_marker("image")]
    if tier:
        config.hook.pytest_deselected(items=tier)
        items[:] = [item for item in items if not item.get_closest_marker("image")]


@pytest.fixture(scope="session")
def image() -> str:
    """The image under test (scripts/image names it)."""
    name = os.environ.get(IMAGE_VARIABLE, "").strip()
    if not name:
        pytest.fail(f"{IMAGE_VARIABLE} is not set: scripts/image builds the image and runs these tests")
    if shutil.which("buildah") is None or os.geteuid() != 0:
        pytest.fail("the image tests need buildah, run as root (scripts/image installs it)", pytrace=False)
    if not image_exists(name):
        pytest.fail(f"{name} is not in buildah's local store: scripts/image builds it", pytrace=False)
    return name


@pytest.fixture(scope="session")
def pod() -> Pod:
    """The Deployment of deploy/, as instructions for running the image."""
    return Pod.from_deploy()


@pytest.fixture
def container(image: str) -> Iterator[Container]:
    """A fresh working container of the image, removed afterwards."""
    made = Container(image)
    try:
        yield made
    finally:
        made.remove()


@pytest.fixture(scope="session")
def demo_app(image: str, pod: Pod, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The image with nothing configured (the embedded demo), run as the Deployment's user."""
    running = start_app(image, pod, tmp_path_factory.mktemp("demo"), env={}, volumes=[])
    try:
        yield running
    finally:
        stop_app(running)


@pytest.fixture(scope="session")
def real_proxy() -> RealProxy:
    """The contract tests' real LiteLLM (REAL_LITELLM_ENV); missing, the live tests fail loudly."""
    problem = ""
    try:
        proxy = load_real_proxy()
        httpx.get(f"{proxy.base_url}/health/liveliness", timeout=10.0).raise_for_status()
    except ProxyEnvError as exc:
        problem = str(exc)
    except httpx.HTTPError as exc:
        problem = f"The real LiteLLM at {proxy.base_url} does not answer ({type(exc).__name__})."
    if problem:
        pytest.fail(problem, pytrace=False)
    return proxy


@pytest.fixture(scope="session")
def live(
    image: str, pod: Pod, real_proxy: RealProxy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """Seed LiteLLM (a team, aliased keys, real completions), then run the image like the cluster."""
    suffix, team_a, team_b, base, keys = create_teams_and_keys(real_proxy)
    calls = send_completions(real_proxy, keys, ["base", "prod"])
    wait_for_flush(real_proxy, (team_a, team_b), calls)
    org = f"acme-{suffix}"
    member = {
        "sub": f"image-member-{suffix}",
        "email": f"member@{org}.example",
        "name": "Image Member",
        "org_id": org,
        "roles": ["user"],
    }
    prod_alias = keys["prod"].alias
    assert prod_alias is not None
    workdir = tmp_path_factory.mktemp("live")
    tenants_file = workdir / "tenants.yaml"
    items = [
        tenant_object(base, org, team_a, base, [member["email"]]),
        tenant_object(prod_alias, f"other-{suffix}", team_b, prod_alias, [f"x@other-{suffix}.example"]),
    ]
    tenants_file.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    tenants_file.chmod(0o644)  # readable by the container's user

    provider = start_oidc_provider([member], workdir=workdir, env=clean_env(workdir))
    running: Running | None = None
    try:
        port = free_port()
        client_id, client_secret = register_client(provider.url, f"http://{LOOPBACK}:{port}/oauth2callback")
        secrets_toml = workdir / "secrets.toml"
        cookie_secret = write_auth_secrets(
            secrets_toml,
            redirect_uri=f"http://{LOOPBACK}:{port}/oauth2callback",
            client_id=client_id,
            client_secret=client_secret,
            provider_url=provider.url,
        )
        secrets_toml.chmod(0o644)
        # The Deployment's environment: its ConfigMap and Secret, with the proxy of this machine
        # and a tenants file in place of the cluster's Tenant objects.
        env = pod.env({"litellm-master-key": real_proxy.master_key, "cookie-secret": cookie_secret})
        env.update(LITELLM_BASE_URL=real_proxy.base_url, TENANT_SOURCE="file", TENANTS_FILE=TENANTS_PATH)
        volumes = [(secrets_toml, pod.secret_file("secrets.toml")), (tenants_file, TENANTS_PATH)]
        running = start_app(image, pod, workdir, env=env, volumes=volumes, port=port)
        yield Live(
            app=running,
            provider_url=provider.url,
            member=member,
            tenant=base,
            display_name=items[0]["spec"]["displayName"],
            month=f"{datetime.now(UTC):%Y-%m}",
            proxy=real_proxy,
            tenants_file=tenants_file,
            env=env,
            secrets=(real_proxy.master_key, client_secret, cookie_secret),
        )
    finally:
        if running is not None:
            stop_app(running)
        provider.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium with the e2e suite's flags."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(E2E.CHROMIUM), args=E2E.CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a fresh profile that reaches loopback only."""
    context: BrowserContext = browser.new_context(
        accept_downloads=True, viewport={"width": 1440, "height": 1000}, locale="en-US"
    )
    context.set_default_timeout(E2E.APP_TIMEOUT_MS)  # loopback only: CHROMIUM_ARGS resolve no other host
    try:
        yield context.new_page()
    finally:
        context.close()
