"""The tenants file: YAML or JSON, a list or a Kubernetes List; bad entries skipped with file and entry."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from usage_core.config import Settings
from usage_core.errors import TenantSourceError, TenantSourceNotConfigured, UpstreamError
from usage_core.service import build_service
from usage_core.tenant_file import FileTenantSource
from usage_core.tenants import (
    InvalidTenant,
    SkippedTenant,
    StaticTenantSource,
    Tenant,
    TenantList,
    parse_tenant,
    parse_tenant_list,
)

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


# entry 1 of a file whose entry 0 is fine -> the name it is skipped under, and the reason
BAD_ENTRIES = [
    ({"spec": {"orgId": "acme"}}, None, "metadata.name is required."),
    ({"metadata": {"name": "  "}, "spec": {"orgId": "acme"}}, None, "metadata.name is required."),
    ({"metadata": {"name": 7}, "spec": {"orgId": "acme"}}, None, "metadata.name must be a string."),
    ({"metadata": ["name", "t2"]}, None, "metadata must be a mapping."),
    ({"metadata": {"name": "t2"}}, "t2", "spec.orgId is required."),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme", "users": "alice@acme.example"}},
        "t2",
        "spec.users must be a list of strings.",
    ),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme", "users": ["a@b.example", 3]}},
        "t2",
        "spec.users must be a list of strings.",
    ),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme", "displayName": {"en": "T2"}}},
        "t2",
        "spec.displayName must be a string.",
    ),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme"}, "status": {"litellmTeamId": 1234}},
        "t2",
        "status.litellmTeamId must be a string.",
    ),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme"}, "status": {"litellmKeyAlias": ["k"]}},
        "t2",
        "status.litellmKeyAlias must be a string.",
    ),
    ({"metadata": {"name": "t2"}, "spec": ["orgId", "acme"]}, "t2", "spec must be a mapping."),
    (
        {"metadata": {"name": "t2"}, "spec": {"orgId": "acme"}, "status": "ready"},
        "t2",
        "status must be a mapping.",
    ),
    ("acme-prod", None, "a tenant must be a mapping, got str."),
    (None, None, "a tenant must be a mapping, got NoneType."),
]


@pytest.mark.parametrize(("entry", "name", "reason"), BAD_ENTRIES)
def test_a_bad_entry_is_skipped_and_the_rest_keep_working(
    tmp_path: Path, entry: object, name: str | None, reason: str
) -> None:
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, entry, ACME_NEW]))
    source = FileTenantSource(path)
    assert list(source.list_tenants()) == EXPECTED
    assert list(source.skipped()) == [SkippedTenant(f"{path}: entry 1", name, reason)]


@pytest.mark.parametrize(("entry", "name", "reason"), BAD_ENTRIES)
def test_parse_tenant_names_where_the_entry_is_and_what_is_wrong(
    entry: object, name: str | None, reason: str
) -> None:
    with pytest.raises(InvalidTenant) as caught:
        parse_tenant(entry, where="tenants.yaml: entry 1")
    invalid = caught.value
    assert (invalid.where, invalid.name, invalid.reason) == ("tenants.yaml: entry 1", name, reason)
    named = f" ({name})" if name else ""
    assert str(invalid) == f"tenants.yaml: entry 1{named}: {reason}"
    assert isinstance(invalid, TenantSourceError)  # one tree: a source failing on it is an upstream error


def test_every_entry_bad_means_no_tenants_not_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "tenants.yaml", "- metadata: {name: a}\n- spec: {orgId: acme}\n- 42\n")
    source = FileTenantSource(path)
    assert list(source.list_tenants()) == []
    assert [(s.where, s.name) for s in source.skipped()] == [
        (f"{path}: entry 0", "a"),
        (f"{path}: entry 1", None),
        (f"{path}: entry 2", None),
    ]


def test_a_skip_is_logged_once_and_again_only_when_it_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="usage_core.tenants")
    broken = {"metadata": {"name": "initech-secret-merger"}, "spec": {"orgId": "initech", "displayName": 5}}
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, broken]))
    source = FileTenantSource(path)

    def logged() -> list[dict[str, object]]:
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.tenants"]
        caplog.clear()
        return lines

    source.list_tenants()
    source.list_tenants()
    assert logged() == [
        {
            "event": "tenant_skipped",
            "where": f"{path}: entry 1",
            "name": "initech-secret-merger",
            "reason": "spec.displayName must be a string.",
        }
    ]

    # Another edit that keeps the same bad entry: nothing new to say. A new bad entry: said once.
    path.write_text(json.dumps([ACME_PROD, broken, ACME_NEW, {"metadata": {"name": "x"}}]), encoding="utf-8")
    _touch(path)
    assert len(source.list_tenants()) == 2
    assert [(line["where"], line["name"]) for line in logged()] == [(f"{path}: entry 3", "x")]

    # Fixed: nothing skipped, nothing logged.
    path.write_text(json.dumps([ACME_PROD, ACME_NEW]), encoding="utf-8")
    _touch(path)
    assert list(source.list_tenants()) == EXPECTED
    assert list(source.skipped()) == [] and logged() == []


@pytest.mark.parametrize("text", ["kind: Tenant\nmetadata: {name: x}\n", "hello", "42", "{items: {a: 1}}"])
def test_not_a_list_names_the_file(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, "tenants.yaml", text)
    assert _error(path) == f"{path}: expected a list of tenants or a List with items."


def test_duplicate_names_are_both_refused_and_the_rest_keep_working(tmp_path: Path) -> None:
    twin = {"metadata": {"name": "acme-prod"}, "spec": {"orgId": "globex"}}
    path = _write(tmp_path, "tenants.json", json.dumps([ACME_PROD, ACME_NEW, twin]))
    source = FileTenantSource(path)
    assert [t.name for t in source.list_tenants()] == ["acme-new"]
    first, second = source.skipped()
    assert (first.where, first.name, second.where, second.name) == (
        f"{path}: entry 0",
        "acme-prod",
        f"{path}: entry 2",
        "acme-prod",
    )
    assert first.reason.startswith(f"the name 'acme-prod' is also used by {path}: entry 2;")
    assert second.reason.startswith(f"the name 'acme-prod' is also used by {path}: entry 0;")


def test_two_tenants_claiming_one_key_alias_of_a_team_are_both_refused() -> None:
    """Each would show the other's usage: an isolation breach, so neither is served."""
    claims = [
        {
            "metadata": {"name": name},
            "spec": {"orgId": org},
            "status": {"litellmTeamId": "t1", "litellmKeyAlias": "k"},
        }
        for name, org in (("acme-k", "acme"), ("globex-k", "globex"))
    ]
    other_team = {
        "metadata": {"name": "other"},
        "spec": {"orgId": "acme"},
        "status": {"litellmTeamId": "t2", "litellmKeyAlias": "k"},
    }
    read = parse_tenant_list([*claims, other_team], where="f")
    assert [t.name for t in read.tenants] == ["other"]  # the same alias on another team is another key
    assert [(s.where, s.name, s.reason.split(";")[0]) for s in read.skipped] == [
        ("f: entry 0", "acme-k", "the key alias 'k' of team 't1' is also claimed by f: entry 1"),
        ("f: entry 1", "globex-k", "the key alias 'k' of team 't1' is also claimed by f: entry 0"),
    ]


def test_a_name_used_three_times_names_the_two_others() -> None:
    entry = {"metadata": {"name": "t"}, "spec": {"orgId": "acme"}}
    read = parse_tenant_list([entry, entry, entry], where="f")
    assert read.tenants == ()
    assert [s.reason.split(";")[0] for s in read.skipped] == [
        "the name 't' is also used by f: entry 1, f: entry 2",
        "the name 't' is also used by f: entry 0, f: entry 2",
        "the name 't' is also used by f: entry 0, f: entry 1",
    ]


def test_a_malformed_entry_claiming_a_name_refuses_the_good_one_too() -> None:
    """Which of the two is the real `acme-prod` cannot be known: neither is served under that name."""
    impostor = {"metadata": {"name": "acme-prod"}, "spec": {"orgId": "acme", "users": "mallory@evil.example"}}
    read = parse_tenant_list([ACME_PROD, impostor, ACME_NEW], where="f")
    assert [t.name for t in read.tenants] == ["acme-new"]
    assert [(s.where, s.reason.split(";")[0]) for s in read.skipped] == [
        ("f: entry 0", "the name 'acme-prod' is also used by f: entry 1"),
        ("f: entry 1", "spec.users must be a list of strings."),
    ]


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

    # A broken entry is skipped; the rest stay.
    path.write_text(YAML_LIST + "- metadata: {name: acme-bad}\n", encoding="utf-8")
    assert list(source.list_tenants()) == EXPECTED
    assert [s.name for s in source.skipped()] == ["acme-bad"]

    # A broken file is an error, not stale data; fixing it recovers.
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
    read = parse_tenant_list({"kind": "TenantList", "items": [{}]}, where="cluster")
    assert read == TenantList((), (SkippedTenant("cluster: entry 0", None, "metadata.name is required."),))
    with pytest.raises(TenantSourceError, match=r"^cluster: expected a list of tenants"):
        parse_tenant_list({"kind": "TenantList"}, where="cluster")


def test_static_source() -> None:
    assert list(StaticTenantSource(EXPECTED).list_tenants()) == EXPECTED
    assert list(StaticTenantSource(EXPECTED).skipped()) == []


def _touch(path: Path) -> None:
    """Move the modification time on: an edit within the clock's resolution must still be seen."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# -- through the service -------------------------------------------------------------------------------


def test_the_service_reads_the_source_before_saying_what_it_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, "tenants.yaml", YAML_LIST + "- metadata: {name: acme-bad}\n")
    service = build_service(Settings(tenants_file=path))
    # Asked first, before any page listed the tenants: the answer is already the file's.
    assert [(s.name, s.reason) for s in service.skipped_tenants()] == [
        ("acme-bad", "spec.orgId is required.")
    ]
    path.write_text(YAML_LIST, encoding="utf-8")
    _touch(path)
    assert list(service.skipped_tenants()) == []
    path.unlink()
    with pytest.raises(TenantSourceError):  # a source that cannot be read has no list to give
        service.skipped_tenants()


def test_no_tenant_source_fails_as_the_source_naming_the_setting() -> None:
    service = build_service(Settings(litellm_base_url="http://127.0.0.1:4000", litellm_master_key="k"))
    with pytest.raises(TenantSourceNotConfigured) as caught:
        service.tenants()
    assert isinstance(caught.value, TenantSourceError)  # pages treat it as the tenant source failing
    assert "No tenant source: set TENANTS_FILE, or TENANT_SOURCE=kubernetes" in str(caught.value)
    with pytest.raises(TenantSourceNotConfigured):
        service.skipped_tenants()
