"""The operator CLI: outputs, exit codes, one-line errors, no secrets, nothing half-written."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

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


def assert_failed(result: tuple[int, str, str], code: int, fragment: str) -> None:
    exit_code, out, err = result
    assert exit_code == code, err
    assert out == ""
    assert err.count("\n") == 1 and fragment in err
    assert "Traceback" not in err and SECRET not in err


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
    code, out, _ = cli("tenants")
    assert code == 0 and out.splitlines()[0].split() == [
        "NAME",
        "ORG",
        "DISPLAY",
        "NAME",
        "TEAM",
        "KEY",
        "ALIAS",
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


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("export", "--tenant", "acme-prod", "--month", "2026-1"), "Invalid month '2026-1'"),
        (("export", "--tenant", "acme-prod", "--month", "2026-13"), "month 01-12"),
        (("export", "--tenant", "acme-prod", "--month", ""), "Invalid month"),
        (("export", "--tenant", "acme-prod", "--month", "2999-01"), "future"),
        (("export", "--tenant", "nobody"), "Tenant 'nobody' was not found"),
        (("export",), "one of the arguments --tenant --team is required"),
        (("export", "--tenant", "a", "--team", "b"), "not allowed with"),
        (("export", "--tenant", "acme-prod", "--key-alias", "x"), "--key-alias needs --team"),
        (("export", "--tenant", "acme-prod", "--format", "xml"), "invalid choice"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv: tuple[str, ...], fragment: str) -> None:
    assert_failed(cli(*argv), 2, fragment)


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


def test_bad_tenants_file_exits_3_naming_file_and_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "tenants.yaml"
    bad.write_text("- metadata: {name: ok}\n  spec: {orgId: a}\n- metadata: {name: broken}\n  spec: {}\n")
    monkeypatch.setenv("TENANTS_FILE", str(bad))
    assert_failed(cli("tenants"), 3, f"{bad}: entry 1 (broken): spec.orgId is required")


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
    bad = subprocess.run(
        [str(script), "export", "--month", "x"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (bad.returncode, bad.stdout) == (2, "") and bad.stderr.count("\n") == 1


def test_demo_master_key_is_not_a_real_key_pattern() -> None:
    assert not DEMO_MASTER_KEY.startswith("sk-")


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
