"""The tenants file: YAML or JSON, a list or a Kubernetes List, and errors that name file and entry."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from usage_core.errors import TenantSourceError, UpstreamError
from usage_core.tenant_file import FileTenantSource
from usage_core.tenants import StaticTenantSource, Tenant, parse_tenant_list

ACME_PROD = {
    "apiVersion": "platform.example.com/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "acme-prod", "namespace": "acme"},
    "spec": {"orgId": "acme", "displayName": "Acme Production", "users": ["alice@acme.example"]},
    "status": {"litellmTeamId": "4f0c-team", "litellmKeyAlias": "acme-prod"},
}
ACME_NEW = {"metadata": {"name": "acme-new"}, "spec": {"orgId": "acme"}}  # no status yet

EXPECTED = [
    Tenant("acme-prod", "acme", "Acme Production", ("alice@acme.example",), "4f0c-team", "acme-prod", "acme"),
    Tenant("acme-new", "acme", "acme-new"),
]

YAML_LIST = """\
- apiVersion: platform.example.com/v1alpha1
  kind: Tenant
  metadata: {name: acme-prod, namespace: acme}
  spec:
    orgId: acme
    displayName: Acme Production
    users: [alice@acme.example]
  status: {litellmTeamId: 4f0c-team, litellmKeyAlias: acme-prod}
- metadata: {name: acme-new}
  spec: {orgId: acme}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(TenantSourceError) as caught:
        FileTenantSource(path).list_tenants()
    # A clean message, not a chained traceback from the parser.
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    return str(caught.value)


def test_yaml_list(tmp_path: Path) -> None:
    assert list(FileTenantSource(_write(tmp_path, "tenants.yaml", YAML_LIST)).list_tenants()) == EXPECTED


def test_json_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, ACME_NEW]))
    assert list(FileTenantSource(path).list_tenants()) == EXPECTED


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_kubernetes_list_with_items(tmp_path: Path, suffix: str) -> None:
    """What `kubectl get tenants -o yaml` (or `-o json`) writes."""
    document = {"apiVersion": "v1", "kind": "List", "metadata": {}, "items": [ACME_PROD, ACME_NEW]}
    path = _write(tmp_path, f"tenants{suffix}", json.dumps(document))  # JSON is YAML too
    assert list(FileTenantSource(path).list_tenants()) == EXPECTED


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty.yaml", ""),
        ("blank.yaml", "\n  \n"),
        ("comments.yaml", "# no tenants yet\n"),
        ("empty.json", ""),
        ("list.yaml", "[]"),
        ("list.json", "[]"),
        ("items.yaml", "kind: List\nitems: []\n"),
    ],
)
def test_empty_files_mean_no_tenants(tmp_path: Path, name: str, text: str) -> None:
    assert list(FileTenantSource(_write(tmp_path, name, text)).list_tenants()) == []


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("bad.yaml", "- metadata: {name: acme\n  spec: [\n", None),
        ("bad.yml", "- a: 1\n b: 2\n", 2),
        ("bad.json", '[{"metadata": {"name": "x"},}]', 1),
    ],
)
def test_unparsable_file_names_the_file(tmp_path: Path, name: str, text: str, line: int | None) -> None:
    path = _write(tmp_path, name, text)
    message = _error(path)
    assert message.startswith(f"{path}: not valid YAML/JSON")
    if line is not None:
        assert f"line {line}" in message


@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        ({"spec": {"orgId": "acme"}}, ["entry 1", "metadata.name is required"]),
        ({"metadata": {"name": "  "}, "spec": {"orgId": "acme"}}, ["entry 1", "metadata.name is required"]),
        ({"metadata": {"name": 7}, "spec": {"orgId": "acme"}}, ["entry 1", "metadata.name must be a string"]),
        ({"metadata": {"name": "t2"}}, ["entry 1 (t2)", "spec.orgId is required"]),
        (
            {"metadata": {"name": "t2"}, "spec": {"orgId": "acme", "users": "alice@acme.example"}},
            ["entry 1 (t2)", "spec.users must be a list of strings"],
        ),
        (
            {"metadata": {"name": "t2"}, "spec": {"orgId": "acme", "users": ["a@b.example", 3]}},
            ["entry 1 (t2)", "spec.users"],
        ),
        (
            {"metadata": {"name": "t2"}, "spec": {"orgId": "acme"}, "status": {"litellmTeamId": 1234}},
            ["entry 1 (t2)", "status.litellmTeamId must be a string"],
        ),
        (
            {"metadata": {"name": "t2"}, "spec": {"orgId": "acme"}, "status": {"litellmKeyAlias": ["k"]}},
            ["entry 1 (t2)", "status.litellmKeyAlias must be a string"],
        ),
        ({"metadata": {"name": "t2"}, "spec": ["orgId", "acme"]}, ["entry 1", "spec must be a mapping"]),
        ("acme-prod", ["entry 1", "a tenant must be a mapping, got str"]),
        (None, ["entry 1", "a tenant must be a mapping"]),
    ],
)
def test_bad_entry_names_file_entry_and_field(tmp_path: Path, entry: object, fragments: list[str]) -> None:
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, entry]))
    message = _error(path)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("text", ["kind: Tenant\nmetadata: {name: x}\n", "hello", "42", "{items: {a: 1}}"])
def test_not_a_list_names_the_file(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "tenants.yaml", text)
    assert _error(path) == f"{path}: expected a list of tenants or a List with items."


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    twin = {"metadata": {"name": "acme-prod"}, "spec": {"orgId": "globex"}}
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, ACME_NEW, twin]))
    assert _error(path) == f"{path}: entry 2: duplicate tenant name 'acme-prod'."


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "tenants.yaml"
    message = _error(path)
    assert message.startswith(f"{path}: cannot read tenants file")
    assert "No such file" in message


@pytest.mark.parametrize("kind", ["directory", "not utf-8"])
def test_unreadable_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "tenants.yaml"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"- metadata: {name: caf\xe9}\n")
    assert _error(path).startswith(f"{path}: cannot read tenants file")


def test_source_errors_are_upstream_errors() -> None:
    """The CLI maps UpstreamError to exit 3: a broken tenant source must be one."""
    assert issubclass(TenantSourceError, UpstreamError)


def test_users_are_normalised(tmp_path: Path) -> None:
    text = """\
- metadata: {name: t1}
  spec:
    orgId: " acme "
    displayName: "  "
    users: [" Alice@ACME.Example ", "", "   ", "auth0|AbC123", "bob@acme.example"]
  status: {litellmTeamId: "", litellmKeyAlias: "  "}
"""
    (tenant,) = FileTenantSource(_write(tmp_path, "t.yaml", text)).list_tenants()
    # Emails lower-cased and trimmed, blanks dropped, subs kept exactly (they are case-sensitive).
    assert tenant.users == ("alice@acme.example", "auth0|AbC123", "bob@acme.example")
    assert tenant.org_id == "acme"
    assert tenant.display_name == "t1"  # blank display name falls back to the name
    assert (tenant.team_id, tenant.key_alias) == (None, None)  # blank status means not set yet


def test_reload_when_the_file_changes(tmp_path: Path) -> None:
    path = _write(tmp_path, "tenants.yaml", YAML_LIST)
    source = FileTenantSource(path)
    first = source.list_tenants()
    assert [t.name for t in first] == ["acme-prod", "acme-new"]
    assert source.list_tenants() is first  # unchanged file: not parsed again

    # An operator adds a tenant.
    path.write_text(YAML_LIST + "- metadata: {name: acme-dev}\n  spec: {orgId: acme}\n", encoding="utf-8")
    assert [t.name for t in source.list_tenants()] == ["acme-prod", "acme-new", "acme-dev"]

    # A later edit of the same size (an alias filled in): seen through the new modification time.
    edited = YAML_LIST.replace("acme-prod}", "acme-xxxx}")
    assert len(edited) == len(YAML_LIST)
    path.write_text(edited, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [t.key_alias for t in source.list_tenants()] == ["acme-xxxx", None]

    # A broken edit is an error, not stale data; fixing it recovers.
    path.write_text("- metadata: [\n", encoding="utf-8")
    with pytest.raises(TenantSourceError):
        source.list_tenants()
    path.write_text(YAML_LIST, encoding="utf-8")
    assert list(source.list_tenants()) == EXPECTED

    # The file disappears: an error, not the last list.
    path.unlink()
    with pytest.raises(TenantSourceError):
        source.list_tenants()


def test_parse_tenant_list_names_its_origin() -> None:
    with pytest.raises(TenantSourceError, match=r"^cluster: entry 0: metadata.name is required\.$"):
        parse_tenant_list({"kind": "TenantList", "items": [{}]}, where="cluster")


def test_static_source() -> None:
    assert list(StaticTenantSource(EXPECTED).list_tenants()) == EXPECTED
