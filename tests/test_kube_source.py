"""The Kubernetes tenant source: the official client against a loopback HTTPS API server."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import streamlit as st
import trustme
from app_support import clean_env, demo_app, page_text

from tests.kube_apiserver import KubeApiServer, parse_selector
from usage_core.config import Settings
from usage_core.errors import ConfigError, TenantSourceError
from usage_core.kube import KubernetesTenantSource, load_api_client
from usage_core.service import build_service
from usage_core.tenants import SkippedTenant, Tenant

T = TypeVar("T")
RESOURCE = "tenants.platform.example.com"


class FakeClock:
    """The source's clock for TTL, resync and staleness; moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    """Retry an asserting check until it passes (the watch thread applies events asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, TenantSourceError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def names(tenants: Sequence[Tenant]) -> list[str]:
    return [t.name for t in tenants]


@pytest.fixture(autouse=True)
def _no_leaked_watch_threads() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 5
    while any(t.name == "tenant-watch" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a tenant-watch thread outlived its test"
        time.sleep(0.01)


@pytest.fixture
def apiserver() -> Iterator[KubeApiServer]:
    with KubeApiServer() as server:
        yield server


@pytest.fixture
def kubeconfig(apiserver: KubeApiServer, tmp_path: Path) -> Path:
    return apiserver.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def make_source(kubeconfig: Path) -> Iterator[Callable[..., KubernetesTenantSource]]:
    made: list[KubernetesTenantSource] = []

    def make(path: Path | None = None, **options: Any) -> KubernetesTenantSource:
        options.setdefault("backoff_seconds", (0.05, 0.2))
        source = KubernetesTenantSource(load_api_client(str(path or kubeconfig)), **options)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def watching(apiserver: KubeApiServer, watches: int = 1) -> None:
    """Wait until the client has opened `watches` watches in all and one is open now."""
    apiserver.wait_for(lambda: apiserver.count("watch") >= watches and apiserver.open_watches == 1)


# -- listing -------------------------------------------------------------------------------------


def test_lists_every_tenant_across_pages_and_namespaces(apiserver, make_source):
    for i in range(7):
        apiserver.tenant(f"t{i}", "acme", namespace=("ns-a", "ns-b")[i % 2], team="team-1", alias=f"t{i}")
    apiserver.tenant("z-pending", "globex", users=("Eve@Globex.Example",))
    source = make_source(page_size=3)

    tenants = source.list_tenants()

    assert names(tenants) == [f"t{i}" for i in range(7)] + ["z-pending"]
    assert tenants[1] == Tenant("t1", "acme", "T1", (), "team-1", "t1", "ns-b")
    assert tenants[-1].users == ("eve@globex.example",) and tenants[-1].key_alias is None
    lists = apiserver.requests("list")
    assert [r.query.get("limit") for r in lists] == ["3", "3", "3"]
    assert [("continue" in r.query) for r in lists] == [False, True, True]
    assert all(r.path == "/apis/platform.example.com/v1alpha1/tenants" for r in lists)


def test_an_expired_continue_token_restarts_the_list(apiserver, make_source):
    for i in range(5):
        apiserver.tenant(f"t{i}", "acme")
    apiserver.expire_continue_tokens = 1
    source = make_source(page_size=2)

    assert names(source.list_tenants()) == ["t0", "t1", "t2", "t3", "t4"]
    statuses = [r.status for r in apiserver.requests("list")]
    assert statuses == [200, 410, 200, 200, 200]


def test_label_selector_is_sent_and_followed_by_the_watch(apiserver, make_source):
    apiserver.tenant("shown", "acme", labels={"dashboard": "on"})
    apiserver.tenant("hidden", "acme", labels={"dashboard": "off"})
    source = make_source(label_selector="dashboard=on")

    assert names(source.list_tenants()) == ["shown"]
    watching(apiserver)
    assert {r.query.get("labelSelector") for r in apiserver.requests()} == {"dashboard=on"}

    apiserver.tenant("hidden", "acme", labels={"dashboard": "on"})  # joins the selector
    eventually(lambda: _assert_names(source, ["hidden", "shown"]))
    apiserver.tenant("shown", "acme", labels={"dashboard": "off"})  # leaves it
    eventually(lambda: _assert_names(source, ["hidden"]))


def test_a_namespace_scoped_source_reads_only_its_namespace(apiserver, make_source):
    apiserver.tenant("mine", "acme", namespace="platform")
    apiserver.tenant("theirs", "acme", namespace="elsewhere")
    source = make_source(namespace="platform")

    assert names(source.list_tenants()) == ["mine"]
    watching(apiserver)
    paths = {r.path for r in apiserver.requests() if r.verb in ("list", "watch")}
    assert paths == {"/apis/platform.example.com/v1alpha1/namespaces/platform/tenants"}


# -- the watch cache -----------------------------------------------------------------------------


def test_created_modified_and_deleted_tenants_show_without_a_restart(apiserver, make_source):
    apiserver.tenant("acme-prod", "acme")
    source = make_source()
    assert names(source.list_tenants()) == ["acme-prod"]
    watching(apiserver)

    apiserver.tenant("acme-dev", "acme", team="team-acme")
    eventually(lambda: _assert_names(source, ["acme-dev", "acme-prod"]))

    apiserver.tenant("acme-dev", "acme", display="Acme Dev", team="team-acme", alias="acme-dev")
    dev = eventually(lambda: _tenant_with(source, "acme-dev", key_alias="acme-dev"))
    assert dev.display_name == "Acme Dev"

    apiserver.delete("acme-prod")
    eventually(lambda: _assert_names(source, ["acme-dev"]))
    assert apiserver.count("list") == 1  # every change came through the one watch


def test_repeated_reads_cost_zero_api_calls(apiserver, make_source):
    for i in range(20):
        apiserver.tenant(f"t{i:02}", "acme")
    source = make_source()
    first = source.list_tenants()
    watching(apiserver)
    before = apiserver.count()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: source.list_tenants(), range(400)))

    assert all(r == first for r in results)
    assert apiserver.count() == before
    assert (apiserver.count("list"), apiserver.count("watch")) == (1, 1)


def test_concurrent_first_reads_share_one_list(apiserver, make_source):
    apiserver.tenant("a", "acme")
    source = make_source()
    barrier = threading.Barrier(8)

    def read(_: int) -> Sequence[Tenant]:
        barrier.wait()
        return source.list_tenants()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, range(8)))

    assert all(names(r) == ["a"] for r in results)
    assert apiserver.count("list") == 1


def test_a_compacted_resource_version_makes_the_cache_relist(apiserver, make_source):
    apiserver.tenant("early", "acme")
    source = make_source()
    source.list_tenants()
    watching(apiserver)

    with apiserver.frozen_watches():  # no watch can deliver "late": only a relist can
        apiserver.tenant("late", "acme")
        apiserver.compact()
        apiserver.end_watches()
        eventually(lambda: _assert_names(source, ["early", "late"]))

    assert apiserver.count("list") == 2
    resumed = apiserver.requests("watch")[1]
    assert int(resumed.query["resourceVersion"]) < apiserver.resource_version  # answered 410


def test_a_bookmark_moves_the_resume_point(apiserver, make_source):
    apiserver.tenant("a1", "acme", namespace="a")
    source = make_source(namespace="a")
    source.list_tenants()
    watching(apiserver)
    listed_at = source.status().resource_version

    apiserver.tenant("b1", "acme", namespace="b")  # the version moves on; this watch sees no event
    bookmarked = str(apiserver.bookmark())
    eventually(lambda: _assert_equal(source.status().resource_version, bookmarked))
    assert bookmarked != listed_at
    apiserver.end_watches()
    watching(apiserver, watches=2)

    assert apiserver.requests("watch")[-1].query["resourceVersion"] == bookmarked
    assert apiserver.requests("watch")[0].query["allowWatchBookmarks"] == "true"
    assert apiserver.count("list") == 1


def test_a_watch_that_ends_resumes_and_a_periodic_resync_relists(apiserver, make_source):
    apiserver.tenant("a", "acme")
    clock = FakeClock()
    source = make_source(clock=clock, resync_seconds=600)
    source.list_tenants()
    watching(apiserver)

    apiserver.end_watches()  # a server-side timeout: resume from the last version, no relist
    watching(apiserver, watches=2)
    assert apiserver.count("list") == 1

    clock.advance(600)
    apiserver.end_watches()
    watching(apiserver, watches=3)
    assert apiserver.count("list") == 2
    assert names(source.list_tenants()) == ["a"]


def test_forbidden_watch_falls_back_to_a_ttl_cached_list(apiserver, make_source):
    apiserver.tenant("a", "acme")
    apiserver.allowed_verbs = {"get", "list"}
    clock = FakeClock()
    source = make_source(clock=clock, poll_ttl_seconds=30)

    assert names(source.list_tenants()) == ["a"]
    eventually(lambda: _assert_equal(source.status().mode, "poll"))
    assert [r.status for r in apiserver.requests("watch")] == [403]
    apiserver.tenant("b", "acme")
    for _ in range(50):
        assert names(source.list_tenants()) == ["a"]  # cached: no call until the TTL has passed
    assert apiserver.count("list") == 1

    clock.advance(30)
    assert names(source.list_tenants()) == ["a", "b"]
    assert apiserver.count("list") == 2
    assert apiserver.count("watch") == 1


# -- errors ----------------------------------------------------------------------------------------


def test_missing_list_permission_names_the_verb_and_resource(apiserver, make_source):
    apiserver.tenant("a", "acme")
    apiserver.allowed_verbs = {"get", "watch"}
    source = make_source()

    with pytest.raises(TenantSourceError) as caught:
        source.list_tenants()
    message = str(caught.value)
    assert f"forbidden: cannot list {RESOURCE} at the cluster scope" in message
    assert "get, list and watch" in message and apiserver.token not in message

    apiserver.allowed_verbs = {"get", "list", "watch"}  # RBAC fixed: the cache recovers by itself
    eventually(lambda: _assert_names(source, ["a"]))


def test_missing_permission_in_a_namespace_says_which(apiserver, make_source):
    apiserver.allowed_verbs = set()
    source = make_source(namespace="platform")
    with pytest.raises(TenantSourceError, match=f'cannot list {RESOURCE} in namespace "platform"'):
        source.list_tenants()


def test_a_refused_token_is_a_401_message_without_the_token(apiserver, make_source, tmp_path):
    bad = apiserver.write_kubeconfig(tmp_path / "bad", token="not-the-token")
    source = make_source(bad)
    with pytest.raises(TenantSourceError) as caught:
        source.list_tenants()
    assert "401 Unauthorized" in str(caught.value)
    assert "not-the-token" not in str(caught.value) and apiserver.token not in str(caught.value)
    assert [r.status for r in apiserver.requests()] and {r.status for r in apiserver.requests()} == {401}


def test_a_missing_crd_says_it_is_not_installed(apiserver, make_source):
    apiserver.crd_installed = False
    source = make_source()
    with pytest.raises(TenantSourceError) as caught:
        source.list_tenants()
    message = str(caught.value)
    assert "the Tenant CRD is not installed" in message and "platform.example.com/v1alpha1" in message
    assert "kubectl apply -f deploy/crd.yaml" in message
    # The plain-text 404 of the list, then discovery of the group version to say what is missing.
    assert [(r.verb, r.status) for r in apiserver.requests()][:2] == [("list", 404), ("discovery", 404)]


def test_a_wrong_plural_is_told_apart_from_a_missing_crd(apiserver, make_source):
    source = make_source(plural="tenantz")
    with pytest.raises(TenantSourceError, match=r"has no resource named 'tenantz'.*TENANT_PLURAL"):
        source.list_tenants()


def test_an_unreachable_api_server(apiserver, make_source, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = f"https://127.0.0.1:{port}"
    source = make_source(apiserver.write_kubeconfig(tmp_path / "nowhere", server=server))
    with pytest.raises(TenantSourceError) as caught:
        source.list_tenants()
    expected = f"Kubernetes API: cannot reach the API server at {server} (connection refused)."
    assert str(caught.value) == expected


def test_an_untrusted_server_certificate(apiserver, make_source, tmp_path):
    source = make_source(apiserver.write_kubeconfig(tmp_path / "other-ca", ca=trustme.CA()))
    with pytest.raises(TenantSourceError, match="TLS verification failed"):
        source.list_tenants()
    assert apiserver.count() == 0  # no request was ever sent to a server we do not trust


def test_a_broken_watch_keeps_the_cache_briefly_then_fails_closed(apiserver, make_source):
    apiserver.tenant("a", "acme")
    clock = FakeClock()
    source = make_source(clock=clock, stale_after_seconds=60)
    source.list_tenants()
    watching(apiserver)

    apiserver.crd_installed = False  # the CRD is deleted under a running dashboard
    apiserver.end_watches()
    eventually(lambda: _assert_true(source.status().problem is not None))
    assert names(source.list_tenants()) == ["a"]  # a blip does not blank every page at once
    clock.advance(60)
    with pytest.raises(TenantSourceError, match="not installed"):
        source.list_tenants()

    apiserver.crd_installed = True
    eventually(lambda: _assert_names(source, ["a"]))


def test_a_name_in_two_namespaces_refuses_both_and_the_rest_keep_working(apiserver, make_source):
    apiserver.tenant("shared", "acme", namespace="team-a")
    apiserver.tenant("shared", "globex", namespace="team-b")
    apiserver.tenant("other", "acme", namespace="team-a")
    source = make_source()

    assert names(source.list_tenants()) == ["other"]
    first, second = source.skipped()
    assert (first.where, first.name) == (f"Kubernetes {RESOURCE} team-a/shared", "shared")
    assert (second.where, second.name) == (f"Kubernetes {RESOURCE} team-b/shared", "shared")
    assert first.reason.startswith(f"the name 'shared' is also used by Kubernetes {RESOURCE} team-b/shared;")
    assert second.reason.startswith(f"the name 'shared' is also used by Kubernetes {RESOURCE} team-a/shared;")
    assert source.status().problem is None  # a skipped object is not a failure of the source

    watching(apiserver)
    apiserver.delete("shared", namespace="team-b")  # renamed away: the one left is trusted again
    eventually(lambda: _assert_names(source, ["other", "shared"]))
    assert next(t for t in source.list_tenants() if t.name == "shared").namespace == "team-a"
    assert list(source.skipped()) == []


def test_an_invalid_tenant_object_is_skipped_and_logged_once(apiserver, make_source, caplog):
    caplog.set_level(logging.WARNING, logger="usage_core.tenants")
    apiserver.tenant("good", "acme")
    apiserver.put({"metadata": {"name": "broken", "namespace": "tenants"}, "spec": {"displayName": "x"}})
    source = make_source()

    assert names(source.list_tenants()) == ["good"]
    (skipped,) = source.skipped()
    assert skipped == SkippedTenant(
        f"Kubernetes {RESOURCE} tenants/broken", "broken", "spec.orgId is required."
    )

    # Every watch event republishes the view; the skip is logged when it appears, not on each event.
    watching(apiserver)
    apiserver.tenant("good-2", "acme")
    apiserver.tenant("good-3", "acme")
    eventually(lambda: _assert_names(source, ["good", "good-2", "good-3"]))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.tenants"]
    assert lines == [
        {"event": "tenant_skipped", "where": skipped.where, "name": "broken", "reason": skipped.reason}
    ]

    # Fixed in place: it joins the view and leaves the skipped list.
    apiserver.tenant("broken", "acme")
    eventually(lambda: _assert_names(source, ["broken", "good", "good-2", "good-3"]))
    assert list(source.skipped()) == []


def test_a_closed_source_stops_its_thread_and_refuses_reads(apiserver, make_source):
    source = make_source()
    source.list_tenants()
    watching(apiserver)
    source.close()
    apiserver.wait_for(lambda: apiserver.open_watches == 0)
    assert not any(t.name == "tenant-watch" for t in threading.enumerate())
    with pytest.raises(TenantSourceError, match="closed"):
        source.list_tenants()


# -- settings, the service and the CLI ---------------------------------------------------------------


def _kube_settings(**values: Any) -> Settings:
    return Settings(
        litellm_base_url=None,
        litellm_master_key=None,
        tenants_file=None,
        tenant_source="kubernetes",
        **values,
    )


def test_the_service_reads_tenants_through_kubeconfig(apiserver, kubeconfig, monkeypatch):
    apiserver.tenant("acme-prod", "acme", namespace="platform", team="team-acme-7f3a", alias="acme-prod")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    settings = _kube_settings(tenant_namespace="platform")
    service = build_service(settings)
    try:
        assert names(service.tenants()) == ["acme-prod"]
        assert KubernetesTenantSource.from_settings(settings) is service.tenant_source  # one per process
        watching(apiserver)
        assert build_service(settings).tenants() == service.tenants()
        assert apiserver.count("list") == 1
    finally:
        KubernetesTenantSource.from_settings(settings).close()


def test_no_cluster_and_no_kubeconfig_is_a_config_error(tmp_path, monkeypatch):
    missing = tmp_path / "absent"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match=f"not running in a cluster, and the kubeconfig {missing}"):
        KubernetesTenantSource.from_settings(_kube_settings())


def test_label_selectors_of_the_test_server():
    # The double's own selector parser: what the source's selector tests rely on.
    labels = {"dashboard": "on", "tier": "gold"}
    assert parse_selector("dashboard=on,tier in (gold, silver)")(labels)
    assert not parse_selector("dashboard!=on")(labels)
    assert parse_selector("!missing,tier")(labels)
    assert not parse_selector("tier notin (gold)")(labels)


def _cli(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LITELLM_", "TENANT", "KUBERNETES_SERVICE"))
    }
    env.update(TENANT_SOURCE="kubernetes", KUBECONFIG=str(kubeconfig))
    return subprocess.run(
        [str(Path(sys.executable).with_name("usage-dashboard")), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_lists_tenants_from_the_cluster(apiserver, kubeconfig):
    apiserver.tenant("acme-prod", "acme", namespace="platform", team="team-acme-7f3a", alias="acme-prod")
    apiserver.tenant("globex-ml", "globex", namespace="other", users=("gina@globex.example",))

    done = _cli(kubeconfig, "tenants", "--format", "json")

    assert (done.returncode, done.stderr) == (0, "")
    listed = json.loads(done.stdout)
    assert [(t["name"], t["org_id"], t["namespace"]) for t in listed] == [
        ("acme-prod", "acme", "platform"),
        ("globex-ml", "globex", "other"),
    ]
    assert listed[1]["users"] == ["gina@globex.example"] and listed[1]["key_alias"] is None


def test_cli_exports_a_cluster_tenant_from_the_demo_litellm(apiserver, kubeconfig):
    apiserver.tenant("acme-prod", "acme", team="team-acme-7f3a", alias="acme-prod")

    done = _cli(kubeconfig, "export", "--tenant", "acme-prod", "--format", "json")

    assert done.returncode == 0, done.stderr
    (audit_line,) = done.stderr.splitlines()  # the export's audit line, and nothing else
    assert (json.loads(audit_line)["event"], json.loads(audit_line)["outcome"]) == ("cli_export", "ok")
    scope = json.loads(done.stdout)["scope"]
    assert (scope["team_id"], scope["key_alias"], scope["tenant"]) == (
        "team-acme-7f3a",
        "acme-prod",
        "acme-prod",
    )


def test_cli_without_rbac_exits_3_with_one_clear_line(apiserver, kubeconfig):
    apiserver.allowed_verbs = {"get"}

    done = _cli(kubeconfig, "tenants")

    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"forbidden: cannot list {RESOURCE} at the cluster scope" in done.stderr
    assert apiserver.token not in done.stderr


# -- the Streamlit app on the cluster's tenants (demo LiteLLM, demo sign-in) ---------------------------


@pytest.fixture
def kube_app_env(apiserver, kubeconfig, monkeypatch):
    clean_env(monkeypatch, TENANT_SOURCE="kubernetes", KUBECONFIG=str(kubeconfig))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    st.cache_resource.clear()  # the app keeps one service per process: start from none
    yield apiserver
    st.cache_resource.clear()
    KubernetesTenantSource.from_settings(_kube_settings()).close()  # the app's shared source


def test_the_app_offers_cluster_tenants_and_picks_up_new_ones(kube_app_env):
    apiserver = kube_app_env
    apiserver.tenant(
        "globex-web", "globex", display="Globex Web", team="team-globex-19c2", alias="globex-web"
    )
    apiserver.tenant("acme-prod", "acme", display="Acme Production", team="team-acme-7f3a", alias="acme-prod")

    at = demo_app("owner").run()  # Olivia owns the globex org
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.sidebar.selectbox(key="pick_tenant").options) == ["Globex Web"]
    watching(apiserver)

    apiserver.tenant(
        "globex-data", "globex", display="Globex Data", team="team-globex-19c2", alias="globex-data"
    )
    eventually(lambda: _assert_picker(demo_app("owner").run(), ["Globex Data", "Globex Web"]), timeout=30)
    assert apiserver.count("list") == 1  # every page view after the first was served from the watch cache


def test_the_app_shows_missing_rbac_as_an_error_without_secrets(kube_app_env, caplog):
    """A customer reads what failed in their terms and a reference; the log and admins get the detail."""
    apiserver = kube_app_env
    apiserver.allowed_verbs = {"get"}
    caplog.set_level(logging.ERROR, logger="usage_core.incidents")
    at = demo_app("owner").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _plain(page_text(at))
    assert "The list of tenants is unavailable right now. Try again in a minute." in shown
    assert "forbidden" not in shown and "127.0.0.1" not in shown and apiserver.token not in shown
    (reference,) = re.findall(r"Reference: ([0-9A-F]{8})", shown)
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.incidents"]
    assert any(
        line["ref"] == reference and f"forbidden: cannot list {RESOURCE}" in line["detail"] for line in logged
    )
    admin = _plain(page_text(demo_app("admin").run()))
    assert f"forbidden: cannot list {RESOURCE}" in admin and apiserver.token not in admin


def _plain(shown: str) -> str:
    """Page text as read on screen: without Markdown's backslash escapes and the invisible joiners."""
    return shown.replace("\\", "").replace("\u2060", "")


def _assert_picker(at: Any, expected: list[str]) -> None:
    assert list(at.sidebar.selectbox(key="pick_tenant").options) == expected


# -- small helpers for eventually() --------------------------------------------------------------------


def _assert_names(source: KubernetesTenantSource, expected: list[str]) -> None:
    assert names(source.list_tenants()) == expected


def _tenant_with(source: KubernetesTenantSource, name: str, **fields: Any) -> Tenant:
    tenant = next(t for t in source.list_tenants() if t.name == name)
    for field, value in fields.items():
        assert getattr(tenant, field) == value
    return tenant


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _assert_true(value: bool) -> None:
    assert value
