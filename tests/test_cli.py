"""The operator CLI: outputs, exit codes, one-line errors, no secrets, nothing half-written."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.demo_server import serve
from usage_core.cli import run
from usage_core.config import Settings
from usage_core.demo import DEMO_MASTER_KEY, DemoLiteLLM
from usage_core.months import Month

ENV_NAMES = [name.upper() for name in Settings.model_fields]
SECRET = "sk-cli-test-secret-key"
TENANTS_YAML = """
- metadata: {name: acme-prod}
  spec: {orgId: acme, displayName: Acme Production, users: [alice@acme.example]}
  status: {litellmTeamId: team-acme-7f3a, litellmKeyAlias: acme-prod}
- metadata: {name: acme-new}
  spec: {orgId: acme}
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def assert_failed(result: tuple[int, str, str], code: int, fragment: str) -> list[dict[str, Any]]:
    """Nothing on stdout; on stderr an export's audit line (if any) and then exactly one error line."""
    exit_code, out, err = result
    assert exit_code == code, err
    assert out == ""
    assert err.endswith("\n")
    *before, last = err.splitlines()
    assert last.startswith("usage-dashboard: error: ") and fragment in last
    records = [json.loads(line) for line in before]
    assert len(records) <= 1 and all(r["event"] == "cli_export" for r in records)
    assert "Traceback" not in err and SECRET not in err
    return records


def audit_record(err: str) -> dict[str, Any]:
    """The one audit line of an export's stderr."""
    (record,) = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert isinstance(record, dict)
    return record


@pytest.fixture
def real_http(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The emulator over loopback HTTP, configured like a real proxy with a tenants file."""
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS_YAML)
    with serve(DemoLiteLLM(master_key=SECRET)) as url:
        monkeypatch.setenv("LITELLM_BASE_URL", url)
        monkeypatch.setenv("LITELLM_MASTER_KEY", SECRET)
        monkeypatch.setenv("TENANTS_FILE", str(tenants))
        yield url


def test_tenants_table_and_json_on_the_demo() -> None:
    code, out, err = cli("tenants")
    assert (code, err) == (0, "")  # no audit line: listing tenants is not an export
    assert out.splitlines()[0].split() == [
        "NAME",
        "ORG",
        "DISPLAY",
        "NAME",
        "TEAM",
        "KEY",
        "ALIAS",
        "NAMESPACE",
        "USERS",
    ]
    code, out, _ = cli("tenants", "--format", "json")
    names = {t["name"]: t for t in json.loads(out)}
    assert names["globex-ml"]["key_alias"] is None and names["acme-prod"]["team_id"] == "team-acme-7f3a"


def test_export_csv_has_a_row_per_day_and_matches_json(real_http: str) -> None:
    code, text, err = cli("export", "--tenant", "acme-prod", "--month", "2026-10")
    assert code == 0, err
    lines = text.splitlines()
    assert (
        lines[0]
        == "date,input_tokens,output_tokens,total_tokens,requests,successful_requests,failed_requests,spend"
    )
    assert [line.split(",")[0] for line in lines[1:]] == [f"2026-10-{d:02d}" for d in range(1, 32)]
    code, doc_text, _ = cli("export", "--tenant", "acme-prod", "--month", "2026-10", "--format", "json")
    doc = json.loads(doc_text)
    assert doc["scope"]["key_alias"] == "acme-prod" and doc["month"] == "2026-10"
    assert sum(int(line.split(",")[4]) for line in lines[1:]) == doc["totals"]["requests"] > 0
    by_team = cli("export", "--team", "team-acme-7f3a", "--key-alias", "acme-prod", "--month", "2026-10")[1]
    assert by_team == text


def test_company_wide_for_a_tenant_without_alias_is_the_team_total(real_http: str) -> None:
    tenant = json.loads(cli("export", "--tenant", "acme-prod", "--format", "json")[1])
    # acme-new has no team yet in the file: usage is not available
    assert_failed(cli("export", "--tenant", "acme-new"), 2, "not available yet")
    team = json.loads(cli("export", "--team", "team-acme-7f3a", "--format", "json")[1])
    assert team["scope"]["company_wide"] is True
    assert team["totals"]["requests"] > tenant["totals"]["requests"]


def test_output_file_is_written_whole(real_http: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code, out, _ = cli("export", "--tenant", "acme-prod", "--output", str(target))
    assert (code, out) == (0, "")
    assert target.read_text().startswith("date,") and list(tmp_path.glob(".out.csv.*")) == []
    assert_failed(
        cli("export", "--tenant", "acme-prod", "--output", str(tmp_path / "no" / "x.csv")), 2, "cannot write"
    )


# argv -> a fragment of the error line, and whether the export got far enough to be audited (as refused)
BAD_INPUT = [
    (("export", "--tenant", "acme-prod", "--month", "2026-1"), "Invalid month '2026-1'", True),
    (("export", "--tenant", "acme-prod", "--month", "2026-13"), "month 01-12", True),
    (("export", "--tenant", "acme-prod", "--month", ""), "Invalid month", True),
    (("export", "--tenant", "acme-prod", "--month", "2999-01"), "future", True),
    (("export", "--tenant", "acme-prod", "--month", "1999-01"), "too far back", True),
    (("export", "--tenant", "nobody"), "Tenant 'nobody' was not found", True),
    (("export", "--tenant", "acme-prod", "--key-alias", "x"), "--key-alias needs --team", True),
    # flags that do not parse: not an export yet, so no audit line
    (("export",), "one of the arguments --tenant --team is required", False),
    (("export", "--tenant", "a", "--team", "b"), "not allowed with", False),
    (("export", "--tenant", "acme-prod", "--format", "xml"), "invalid choice", False),
    (("frobnicate",), "invalid choice", False),
]


@pytest.mark.parametrize(("argv", "fragment", "audited"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line(argv: tuple[str, ...], fragment: str, audited: bool) -> None:
    records = assert_failed(cli(*argv), 2, fragment)
    assert [r["outcome"] for r in records] == (["refused"] if audited else [])


def test_unknown_team_is_bad_input(real_http: str) -> None:
    assert_failed(cli("export", "--team", "no-such-team"), 2, "'no-such-team' was not found")


def test_wrong_master_key_exits_3_without_leaking_it(real_http: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-wrong-key-value-123")
    code, out, err = cli("export", "--tenant", "acme-prod")
    assert_failed((code, out, err), 3, "refused the master key")
    assert "sk-wrong-key-value-123" not in err


def test_unreachable_litellm_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "t.yaml").write_text(TENANTS_YAML)
    monkeypatch.setenv("LITELLM_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LITELLM_MASTER_KEY", SECRET)
    monkeypatch.setenv("TENANTS_FILE", str(tmp_path / "t.yaml"))
    assert_failed(cli("export", "--tenant", "acme-prod"), 3, "did not answer")


def test_a_bad_tenants_file_exits_3_naming_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "tenants.yaml"
    bad.write_text("kind: Tenant\nmetadata: {name: one}\n")
    monkeypatch.setenv("TENANTS_FILE", str(bad))
    assert_failed(cli("tenants"), 3, f"{bad}: expected a list of tenants")


def test_tenants_lists_the_good_ones_and_warns_about_each_skipped_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(
        "- metadata: {name: ok}\n  spec: {orgId: a}\n"
        "- metadata: {name: broken}\n  spec: {}\n"
        "- metadata: {name: twin}\n  spec: {orgId: a}\n"
        "- metadata: {name: twin}\n  spec: {orgId: b}\n"
    )
    monkeypatch.setenv("TENANTS_FILE", str(path))
    code, out, err = cli("tenants")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["NAME", "ok"]
    assert err.splitlines() == [
        f"usage-dashboard: warning: skipped {path}: entry 1 (broken): spec.orgId is required.",
        f"usage-dashboard: warning: skipped {path}: entry 2 (twin): the name 'twin' is also used by "
        f"{path}: entry 3; tenant names are the id in URLs, so no tenant of that name is used until the "
        "others are renamed.",
        f"usage-dashboard: warning: skipped {path}: entry 3 (twin): the name 'twin' is also used by "
        f"{path}: entry 2; tenant names are the id in URLs, so no tenant of that name is used until the "
        "others are renamed.",
    ]
    code, out, err = cli("tenants", "--format", "json")
    assert [t["name"] for t in json.loads(out)] == ["ok"] and err.count("warning: skipped") == 3


def test_exporting_a_skipped_tenant_says_why(real_http: str, tmp_path: Path) -> None:
    path = Path(os.environ["TENANTS_FILE"])
    path.write_text(TENANTS_YAML + "- metadata: {name: acme-prod}\n  spec: {orgId: globex}\n")
    records = assert_failed(cli("export", "--tenant", "acme-prod"), 3, "tenant 'acme-prod' is skipped:")
    assert [r["outcome"] for r in records] == ["error"]
    assert (
        f"{path}: entry 0: the name 'acme-prod' is also used by {path}: entry 2"
        in cli("export", "--tenant", "acme-prod")[2]
    )


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"LITELLM_BASE_URL": "http://127.0.0.1:1"}, "LITELLM_MASTER_KEY is required"),
        ({"LITELLM_BASE_URL": "ftp://x", "LITELLM_MASTER_KEY": SECRET}, "LITELLM_BASE_URL"),
        ({"LITELLM_BASE_URL": "http://127.0.0.1:1", "LITELLM_MASTER_KEY": SECRET}, "No tenant source"),
        ({"TENANT_SOURCE": "file"}, "TENANTS_FILE"),
    ],
)
def test_bad_configuration_exits_2(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert_failed(cli("tenants"), 2, fragment)


def test_the_installed_console_script(real_http: str) -> None:
    """The real entry point, as an operator runs it: same bytes as the in-process run."""
    script = Path(sys.executable).with_name("usage-dashboard")
    month = str(Month.current(datetime.now(UTC)))
    result = subprocess.run(
        [str(script), "export", "--tenant", "acme-prod", "--month", month],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == cli("export", "--tenant", "acme-prod", "--month", month)[1]
    assert audit_record(result.stderr)["outcome"] == "ok"
    bad = subprocess.run(
        [str(script), "export", "--tenant", "acme-prod", "--month", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_failed((bad.returncode, bad.stdout, bad.stderr), 2, "Invalid month 'x'")


def test_demo_master_key_is_not_a_real_key_pattern() -> None:
    assert not DEMO_MASTER_KEY.startswith("sk-")


# -- terminal safety -------------------------------------------------------------------------------

HOSTILE = {
    "metadata": {"name": "evil\x1b[2J\x1b[Hname", "namespace": "ns\x07\x08"},
    "spec": {
        "orgId": "org\x9b31m\r",
        "displayName": "\x1b]8;;https://phish.example\x07Click here\x1b]8;;\x07 \u202egpj.exe",
        "users": ["mallory@evil.example\x1b[8m", "sub\u2066|x"],
    },
    "status": {"litellmTeamId": "team\x1b]0;owned\x07", "litellmKeyAlias": "alias\nsecond line\x85"},
}
# Every character that can move the cursor, clear the screen, ring, open a link or reorder text.
CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_the_tenants_table_shows_outside_text_inert(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps([HOSTILE, {"metadata": {"name": "plain"}, "spec": {"orgId": "zz"}}]))
    monkeypatch.setenv("TENANTS_FILE", str(path))
    code, out, err = cli("tenants")
    assert (code, err) == (0, "")
    assert not CONTROLS.search(out)
    header, hostile, plain = out.splitlines()  # no field broke a line
    for visible in ("evilname", "ns", "org", "Click here gpj.exe", "team", "alias second line"):
        assert visible in hostile
    assert "mallory@evil.example,sub|x" in hostile
    assert "phish.example" not in hostile  # the link target was part of the escape sequence
    assert header.index("USERS") == hostile.index("mallory") == plain.index("-", header.index("USERS"))


def test_a_skipped_entry_is_warned_about_inert(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    broken = {"metadata": {"name": "x\x1b]8;;https://phish.example\x07y\x1b]8;;\x07\u202e"}, "spec": {}}
    path.write_text(json.dumps([broken]))
    monkeypatch.setenv("TENANTS_FILE", str(path))
    code, _out, err = cli("tenants")
    assert code == 0 and not CONTROLS.search(err)
    assert err == f"usage-dashboard: warning: skipped {path}: entry 0 (xy): spec.orgId is required.\n"


# -- the audit line of an export -------------------------------------------------------------------


def operator_sub() -> str:
    return f"{pwd.getpwuid(os.getuid()).pw_name}@{socket.gethostname()}"


def test_an_export_writes_one_audit_line(real_http: str) -> None:
    code, out, err = cli("export", "--tenant", "acme-prod", "--month", "2026-10")
    assert code == 0 and out.startswith("date,")
    assert err.count("\n") == 1  # the audit line, and nothing else
    record = audit_record(err)
    at = datetime.fromisoformat(record.pop("at"))
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    assert record == {
        "event": "cli_export",
        "who": {"sub": operator_sub(), "email": None, "org": None, "role": "platform-admin", "issuer": "cli"},
        "scope": {
            "team_id": "team-acme-7f3a",
            "key_alias": "acme-prod",
            "tenant": "acme-prod",
            "company_wide": False,
        },
        "month": "2026-10",
        "outcome": "ok",
        "asked": {"tenant": "acme-prod", "team": None, "key_alias": None, "month": "2026-10"},
    }


def test_failed_exports_are_audited_before_the_error_line(
    real_http: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = assert_failed(cli("export", "--team", "no-such-team", "--month", "2026-09"), 2, "was not found")
    assert [(r["outcome"], r["month"], r["asked"]["team"]) for r in refused] == [
        ("refused", "2026-09", "no-such-team")
    ]
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-wrong-key-value-123")
    (failed,) = assert_failed(cli("export", "--tenant", "acme-prod"), 3, "refused the master key")
    assert failed["outcome"] == "error" and failed["scope"]["tenant"] == "acme-prod"
    assert "sk-wrong-key-value-123" not in json.dumps(failed) and SECRET not in json.dumps(failed)


def test_audit_log_file_takes_the_audit_lines(
    real_http: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("AUDIT_LOG_FILE", str(log))
    code, out, err = cli("export", "--tenant", "acme-prod")
    assert (code, err) == (0, "") and out.startswith("date,")
    code, out, err = cli("export", "--tenant", "nobody")
    assert (code, out) == (2, "") and err == "usage-dashboard: error: Tenant 'nobody' was not found.\n"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    outcomes = [(r["outcome"], r["asked"]["tenant"]) for r in records]
    assert outcomes == [("ok", "acme-prod"), ("refused", "nobody")]
    assert log.stat().st_mode & 0o007 == 0  # not readable by everyone


def test_an_unwritable_audit_log_file_stops_the_export(
    real_http: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDIT_LOG_FILE", str(tmp_path / "no-such-dir" / "audit.jsonl"))
    (record,) = assert_failed(cli("export", "--tenant", "acme-prod"), 2, "cannot open AUDIT_LOG_FILE")
    assert record["outcome"] == "error"  # the attempt still leaves its line, on stderr


# -- months within the horizon -----------------------------------------------------------------------


def test_months_older_than_the_horizon_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    current = Month.current()
    oldest = current.previous().previous()
    monkeypatch.setenv("MONTHS_HORIZON", "3")
    code, _out, err = cli("export", "--tenant", "acme-prod", "--month", str(oldest))
    assert code == 0, err
    too_old = cli("export", "--tenant", "acme-prod", "--month", str(oldest.previous()))
    (record,) = assert_failed(too_old, 2, f"is too far back: months from {oldest} to {current} can be shown")
    assert (record["outcome"], record["month"]) == ("refused", None)


def test_the_default_horizon_is_24_months() -> None:
    earliest = Month.current().recent(24)[-1]
    assert cli("export", "--tenant", "acme-prod", "--month", str(earliest))[0] == 0
    too_old = cli("export", "--tenant", "acme-prod", "--month", str(earliest.previous()))
    assert_failed(too_old, 2, "too far back")


# -- no tenant source --------------------------------------------------------------------------------


def test_without_a_tenant_source_a_team_export_works_and_a_tenant_export_says_why(
    real_http: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TENANTS_FILE")
    code, out, err = cli("export", "--team", "team-acme-7f3a")
    assert code == 0 and out.startswith("date,") and audit_record(err)["outcome"] == "ok"
    tenant = cli("export", "--tenant", "acme-prod")
    (record,) = assert_failed(tenant, 2, "No tenant source: set TENANTS_FILE")
    assert record["outcome"] == "error"
    assert_failed(cli("tenants"), 2, "No tenant source")


# -- overview -------------------------------------------------------------------------------------

HOSTILE_TENANTS_YAML = """
- metadata: {name: acme-prod}
  spec: {orgId: acme, displayName: "=HYPERLINK(\\"http://evil.example\\")"}
  status: {litellmTeamId: team-acme-7f3a, litellmKeyAlias: acme-prod}
- metadata: {name: acme-dev}
  spec: {orgId: acme, displayName: "Dev \\e[31mred\\e[0m \\e]8;;http://evil.example\\e\\\\link\\e]8;;\\e\\\\"}
  status: {litellmTeamId: team-acme-7f3a, litellmKeyAlias: acme-dev}
- metadata: {name: globex-web}
  spec: {orgId: globex, displayName: Globex Web}
  status: {litellmTeamId: team-globex-19c2, litellmKeyAlias: globex-web}
"""


@pytest.fixture
def hostile_http(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The emulator over loopback HTTP with tenants whose display names try formulas and escapes."""
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(HOSTILE_TENANTS_YAML)
    with serve(DemoLiteLLM(master_key=SECRET)) as url:
        monkeypatch.setenv("LITELLM_BASE_URL", url)
        monkeypatch.setenv("LITELLM_MASTER_KEY", SECRET)
        monkeypatch.setenv("TENANTS_FILE", str(tenants))
        yield url


def test_overview_json_nests_tenants_and_equals_their_exports(hostile_http: str) -> None:
    code, text, err = cli("overview", "--month", "2026-10", "--format", "json")
    assert code == 0, err
    doc = json.loads(text)
    assert doc["month"] == "2026-10" and len(doc["teams"]) == 3  # every LiteLLM team, tenants or not
    teams = {t["team_id"]: t for t in doc["teams"]}
    acme = teams["team-acme-7f3a"]
    assert [t["tenant"] for t in acme["tenants"]] == ["acme-prod", "acme-dev"]  # by display name
    assert teams["team-initech-5b8e"]["tenants"] == []  # a team no tenant points at
    for team in doc["teams"]:
        for tenant in team["tenants"]:
            export = json.loads(
                cli("export", "--tenant", tenant["tenant"], "--month", "2026-10", "--format", "json")[1]
            )["totals"]
            assert {k: tenant[k] for k in ("requests", "input_tokens", "output_tokens")} == {
                k: export[k] for k in ("requests", "input_tokens", "output_tokens")
            }
            assert tenant["spend"] == pytest.approx(export["spend"], rel=1e-12)
    # the team's figures cover all of its keys: more than its tenants' (acme-prod-eu has no tenant here)
    team_export = json.loads(
        cli("export", "--team", "team-acme-7f3a", "--month", "2026-10", "--format", "json")[1]
    )
    assert acme["requests"] == team_export["totals"]["requests"] > sum(t["requests"] for t in acme["tenants"])
    assert acme["projected_spend"] == pytest.approx(acme["spend"])  # a past month: its actuals


def test_overview_of_one_org(hostile_http: str) -> None:
    doc = json.loads(cli("overview", "--org", "globex", "--format", "json")[1])
    assert [t["team_id"] for t in doc["teams"]] == ["team-globex-19c2"]
    assert [t["tenant"] for t in doc["teams"][0]["tenants"]] == ["globex-web"]
    assert_failed(cli("overview", "--org", "nobody"), 2, "Organization 'nobody' has no tenant")


def test_overview_table_and_csv_keep_outside_text_inert(hostile_http: str) -> None:
    code, table, err = cli("overview", "--org", "acme")
    assert code == 0, err
    assert "\x1b" not in table and "\x07" not in table
    assert "Dev red link" in table.replace("  ", " ")
    assert table.splitlines()[0].split()[:3] == ["TEAM", "/", "TENANT"]
    code, text, _ = cli("overview", "--org", "acme", "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["level", "team_id", "team_alias", "tenant", "display_name", "key_alias"]
    names = {r[3]: r[4] for r in rows[1:] if r[0] == "tenant"}
    assert names["acme-prod"] == '\'=HYPERLINK("http://evil.example")'  # never a formula


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("overview", "--month", "2026-13"), "month 01-12"),
        (("overview", "--month", "2999-01"), "future"),
        (("overview", "--format", "xml"), "invalid choice"),
    ],
)
def test_overview_bad_input_exits_2(argv: tuple[str, ...], fragment: str) -> None:
    assert_failed(cli(*argv), 2, fragment)


def test_overview_when_litellm_is_down_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "t.yaml").write_text(TENANTS_YAML)
    monkeypatch.setenv("LITELLM_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LITELLM_MASTER_KEY", SECRET)
    monkeypatch.setenv("TENANTS_FILE", str(tmp_path / "t.yaml"))
    assert_failed(cli("overview"), 3, "did not answer")
