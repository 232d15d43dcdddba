"""One bad tenant blocks no one and names nothing: the app over a tenants file and over the Kubernetes API.

Each source holds the demo tenants plus, from other orgs, one malformed tenant and a pair of tenants
sharing one name (one of them would even list Alice). Alice, a member of acme, must get exactly the
numbers she gets without them, and nothing the app sends her browser may name them, the file, the
namespaces or the API server. Platform admins get the list of what was skipped, and why.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from app_support import ADMIN_PAGE, MASTER_KEY, clean_env, demo_app, free_port, oidc_app, persona, plain
from streamlit.testing.v1 import AppTest

from tests.kube_apiserver import KubeApiServer
from usage_core.access import Scope
from usage_core.config import Settings, load_settings
from usage_core.demo import DEMO_TENANTS
from usage_core.kube import KubernetesTenantSource
from usage_core.months import Month
from usage_core.plaintext import markdown_literal, plotly_text
from usage_core.reports import UsageReport, build_report
from usage_core.service import build_service
from usage_core.tenants import SkippedTenant, Tenant

LAST_MONTH = Month.current().previous()
RESOURCE = "tenants.platform.example.com"

# Another org's tenant that does not parse (spec.users is a string), and two entries claiming one name:
# one of initech's, and one in acme that lists Alice (were it trusted, her picker would change).
SECRET_NAME = "initech-secret-merger"
SECRET_TITLE = "Initech Secret Merger"
MALFORMED: dict[str, Any] = {
    "metadata": {"name": SECRET_NAME},
    "spec": {"orgId": "initech", "displayName": SECRET_TITLE, "users": "ceo@initech.example"},
    "status": {"litellmTeamId": "team-initech-5b8e", "litellmKeyAlias": "initech-merger-key"},
}
TWIN = "shared-twin"
TWINS: list[dict[str, Any]] = [
    {
        "metadata": {"name": TWIN},
        "spec": {"orgId": "initech", "displayName": "Initech Twin Title", "users": ["ivan@initech.example"]},
        "status": {"litellmTeamId": "team-initech-5b8e", "litellmKeyAlias": "initech-twin-key"},
    },
    {
        "metadata": {"name": TWIN},
        "spec": {"orgId": "acme", "displayName": "Acme Twin Title", "users": ["alice@acme.example"]},
        "status": {"litellmTeamId": "team-acme-7f3a", "litellmKeyAlias": "acme-twin-key"},
    },
]
# Nothing of these may reach a member of acme (initech's own tenants included).
UNSEEN = (
    SECRET_NAME,
    SECRET_TITLE,
    "initech-merger-key",
    "ceo@initech.example",
    TWIN,
    "Initech Twin Title",
    "Acme Twin Title",
    "initech-twin-key",
    "acme-twin-key",
    "initech",
    "Initech",
    "spec.users",
    "entry ",
)


def _item(tenant: Tenant) -> dict[str, Any]:
    return {
        "apiVersion": "platform.example.com/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": tenant.name},
        "spec": {"orgId": tenant.org_id, "displayName": tenant.display_name, "users": list(tenant.users)},
        "status": {"litellmTeamId": tenant.team_id, "litellmKeyAlias": tenant.key_alias},
    }


def _tenants_file(path: Path, *, bad: bool) -> Path:
    items = [_item(t) for t in DEMO_TENANTS]
    if bad:
        items[3:3] = [TWINS[0], MALFORMED]  # among the good ones, not after them
        items.append(TWINS[1])
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")
    return path


# -- what the browser receives -------------------------------------------------------------------------


def browser_payload(at: AppTest) -> str:
    """Every element of the last run as sent to the browser (labels, options, values, chart and table
    data), the session state and the URL's query parameters, as the text a person would read."""
    root = at.main.root
    parts = [node.proto.SerializeToString() for node in root if getattr(node, "proto", None) is not None]
    parts += [repr(value).encode() for value in at.session_state.values()]
    parts.append(repr(at.query_params).encode())
    return readable(b"\n".join(parts).decode("utf-8", errors="replace"))


# Plain-text rendering keeps the characters but may break them up: Markdown backslash escapes, word
# joiners (raw, or \u2060 inside a chart's JSON), HTML entities. Undo that, so a leak cannot hide.
_JOINERS = re.compile(r"\\u(?:2060|200b)|[\u2060\u200b]")
_MARKDOWN_ESCAPE = re.compile(r"\\+([!-/:-@\[-`{-~])")  # one backslash, or two inside JSON


def readable(text: str) -> str:
    return html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", _JOINERS.sub("", text)))


def assert_names_nothing_of_others(at: AppTest, *private: str) -> None:
    payload = browser_payload(at)
    assert "Acme Production" in payload and "Alice Member" in payload  # the walk sees the page
    for word in (*UNSEEN, *private):
        assert word not in payload, word


@pytest.mark.parametrize(
    "render",
    [markdown_literal, plotly_text, lambda text: json.dumps(markdown_literal(text)), html.escape],
    ids=["markdown", "plotly", "json", "html"],
)
def test_the_walk_sees_a_name_however_it_is_rendered(render: Any) -> None:
    assert SECRET_NAME not in markdown_literal(SECRET_NAME)  # rendered text can hide it from a plain search
    for word in (SECRET_NAME, SECRET_TITLE, "ceo@initech.example"):
        assert word in readable(render(word))


# -- exact numbers ---------------------------------------------------------------------------------------


def expected_report() -> UsageReport:
    """acme-prod's last month, read straight from the demo LiteLLM, no tenant source involved."""
    scope = Scope("team-acme-7f3a", "acme-prod", "Acme Production", "acme-prod")
    return build_report(scope, LAST_MONTH, build_service(Settings()).snapshot(scope.team_id, LAST_MONTH))


def what_alice_sees(at: AppTest) -> dict[str, Any]:
    assert not at.exception, [e.value for e in at.exception]
    (download,) = at.get("download_button")
    return {
        "picker": list(at.sidebar.selectbox(key="pick_tenant").options),
        "title": [t.value for t in at.title],
        "metrics": [(m.label, m.value) for m in at.metric],
        "errors": [e.value for e in at.error],
        "warnings": [w.value for w in at.warning],
        "download": download.proto.url,  # a hash of the CSV's bytes
        "url": dict(at.query_params),
    }


def assert_exact_numbers(seen: dict[str, Any], report: UsageReport) -> None:
    metrics = dict(seen["metrics"])
    assert metrics["Spend (USD)"] == f"${report.totals.spend:,.2f}"
    assert metrics["Input tokens"] == f"{report.totals.input_tokens:,}"
    assert metrics["Output tokens"] == f"{report.totals.output_tokens:,}"
    assert metrics["Requests"] == f"{report.totals.requests:,}"
    assert report.totals.requests > 0
    assert seen["picker"] == ["Acme Development", "Acme Production"]
    assert (seen["errors"], seen["warnings"]) == ([], [])


def alice(**query: str) -> AppTest:
    return demo_app("member", tenant="acme-prod", month=str(LAST_MONTH), **query).run()


# -- a tenants file ---------------------------------------------------------------------------------------


@pytest.fixture
def clean_file(tmp_path: Path) -> Path:
    return _tenants_file(tmp_path / "clean" / "tenants.json", bad=False)


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    return _tenants_file(tmp_path / "platform-secrets" / "tenants.json", bad=True)


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "platform-secrets").mkdir()


def test_a_member_gets_exact_numbers_from_a_file_with_bad_tenants_of_others(
    monkeypatch: pytest.MonkeyPatch, clean_file: Path, bad_file: Path
) -> None:
    clean_env(monkeypatch, TENANTS_FILE=str(clean_file))
    without = what_alice_sees(alice())
    clean_env(monkeypatch, TENANTS_FILE=str(bad_file))
    at = alice()
    with_bad = what_alice_sees(at)

    assert with_bad == without  # the same page: picker, title, every number, the CSV's bytes
    assert_exact_numbers(with_bad, expected_report())
    assert_names_nothing_of_others(at, str(bad_file), "platform-secrets")


def test_a_member_switching_tenants_and_months_never_meets_them(
    monkeypatch: pytest.MonkeyPatch, bad_file: Path
) -> None:
    clean_env(monkeypatch, TENANTS_FILE=str(bad_file))
    at = alice()
    at.sidebar.selectbox(key="pick_tenant").select("acme-dev").run()
    assert_names_nothing_of_others(at, str(bad_file))
    at.sidebar.selectbox(key="pick_month").select(Month.current()).run()
    assert at.query_params == {"tenant": "acme-dev", "month": str(Month.current())}
    assert_names_nothing_of_others(at, str(bad_file))
    # A link to a skipped tenant answers like any tenant she cannot see.
    at = demo_app("member", tenant=SECRET_NAME).run()
    assert [plain(w.value) for w in at.warning] == [
        f"Tenant {SECRET_NAME!r} was not found. Showing Acme Development instead."
    ]
    at = demo_app("member", tenant=TWIN).run()
    assert not at.exception
    payload = browser_payload(at)
    for word in ("Acme Twin Title", "Initech Twin Title", "acme-twin-key", str(bad_file)):
        assert word not in payload


def test_platform_admins_get_what_the_file_skipped_and_why(
    monkeypatch: pytest.MonkeyPatch, bad_file: Path
) -> None:
    clean_env(monkeypatch, TENANTS_FILE=str(bad_file))
    service = build_service(load_settings())
    assert [t.name for t in service.tenants()] == [t.name for t in DEMO_TENANTS]
    assert list(service.skipped_tenants()) == [
        SkippedTenant(
            f"{bad_file}: entry 3",
            TWIN,
            f"the name '{TWIN}' is also used by {bad_file}: entry 10; tenant names are the id in URLs, "
            "so no tenant of that name is used until the others are renamed.",
        ),
        SkippedTenant(f"{bad_file}: entry 4", SECRET_NAME, "spec.users must be a list of strings."),
        SkippedTenant(
            f"{bad_file}: entry 10",
            TWIN,
            f"the name '{TWIN}' is also used by {bad_file}: entry 3; tenant names are the id in URLs, "
            "so no tenant of that name is used until the others are renamed.",
        ),
    ]


# -- the Kubernetes API ----------------------------------------------------------------------------------

NAMESPACES = {"acme": "ns-acme-q7", "globex": "ns-globex-q7", "initech": "ns-initech-q7"}


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[KubeApiServer]:
    """A loopback API server with the demo tenants, each in its org's namespace; the app reads it."""
    with KubeApiServer() as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        for t in DEMO_TENANTS:
            server.tenant(
                t.name,
                t.org_id,
                namespace=NAMESPACES[t.org_id],
                display=t.display_name,
                users=t.users,
                team=t.team_id,
                alias=t.key_alias,
            )
        clean_env(monkeypatch, TENANT_SOURCE="kubernetes", KUBECONFIG=str(kubeconfig))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        st.cache_resource.clear()  # the app keeps one service per process: start from none
        try:
            yield server
        finally:
            st.cache_resource.clear()
            KubernetesTenantSource.from_settings(load_settings()).close()  # the app's shared source


def _add_bad_objects(server: KubeApiServer) -> None:
    malformed = {**MALFORMED, "metadata": {"name": SECRET_NAME, "namespace": "ns-initech-secret"}}
    server.put(malformed)
    server.put({**TWINS[0], "metadata": {"name": TWIN, "namespace": "ns-initech-twin"}})
    server.put({**TWINS[1], "metadata": {"name": TWIN, "namespace": "ns-acme-twin"}})


def test_a_member_gets_exact_numbers_from_a_cluster_with_bad_tenants_of_others(
    cluster: KubeApiServer,
) -> None:
    without = what_alice_sees(alice())
    _add_bad_objects(cluster)
    KubernetesTenantSource.from_settings(load_settings()).close()  # read afresh: a new list
    st.cache_resource.clear()
    at = alice()
    with_bad = what_alice_sees(at)

    assert with_bad == without
    assert_exact_numbers(with_bad, expected_report())
    server = cluster.url.removeprefix("https://")
    assert_names_nothing_of_others(
        at, "ns-initech-secret", "ns-initech-twin", "ns-acme-twin", *NAMESPACES.values(), server, RESOURCE
    )


def test_platform_admins_get_what_the_cluster_skipped_and_why(cluster: KubeApiServer) -> None:
    _add_bad_objects(cluster)
    service = build_service(load_settings())
    assert sorted(t.name for t in service.tenants()) == sorted(t.name for t in DEMO_TENANTS)
    where = f"Kubernetes {RESOURCE} "
    assert [(s.where, s.name, s.reason.split(";")[0]) for s in service.skipped_tenants()] == [
        (
            f"{where}ns-acme-twin/{TWIN}",
            TWIN,
            f"the name '{TWIN}' is also used by {where}ns-initech-twin/{TWIN}",
        ),
        (f"{where}ns-initech-secret/{SECRET_NAME}", SECRET_NAME, "spec.users must be a list of strings."),
        (
            f"{where}ns-initech-twin/{TWIN}",
            TWIN,
            f"the name '{TWIN}' is also used by {where}ns-acme-twin/{TWIN}",
        ),
    ]


# -- the dashboard's error and Admin views -------------------------------------------------------------


def test_the_admin_page_lists_what_the_source_skipped(
    monkeypatch: pytest.MonkeyPatch, bad_file: Path
) -> None:
    clean_env(monkeypatch, TENANTS_FILE=str(bad_file))
    at = demo_app("admin")
    at.run()
    at.switch_page(ADMIN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    payload = browser_payload(at)
    for shown in (SECRET_NAME, "spec.users must be a list of strings.", f"{bad_file}: entry 4", TWIN):
        assert shown in payload, shown


def test_no_tenant_source_is_a_failure_of_the_source_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch, LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}", LITELLM_MASTER_KEY=MASTER_KEY)
    at = oidc_app(persona("member")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and not list(at.metric)


def test_no_tenant_source_tells_a_customer_only_that_the_dashboard_is_misconfigured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clean_env(monkeypatch, LITELLM_BASE_URL=f"http://127.0.0.1:{free_port()}", LITELLM_MASTER_KEY=MASTER_KEY)
    at = oidc_app(persona("member")).run()
    payload = browser_payload(at)
    assert "The dashboard is not configured correctly." in payload and "quote the reference" in payload
    for word in ("TENANTS_FILE", "TENANT_SOURCE", "LITELLM_BASE_URL", "127.0.0.1"):
        assert word not in payload, word


def test_an_unreadable_tenants_file_names_no_path_to_a_customer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "platform-secrets" / "tenants.yaml"
    broken.write_text("- metadata: [\n", encoding="utf-8")
    clean_env(monkeypatch, TENANTS_FILE=str(broken))
    at = demo_app("member").run()
    assert not at.exception
    payload = browser_payload(at)
    assert "The list of tenants is unavailable right now." in payload
    assert "platform-secrets" not in payload and "YAML" not in payload
