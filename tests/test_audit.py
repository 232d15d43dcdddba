"""The admin audit line: one JSON object per view, naming who, what, which month and when."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from usage_core.access import Scope
from usage_core.audit import audit_record, log_event, to_line
from usage_core.identity import Role, User
from usage_core.months import Month

PAT = User(
    "sub-pat", "pat@platform.example", "Pat", "platform", Role.PLATFORM_ADMIN, issuer="https://login.example"
)
SCOPE = Scope("team-globex", "globex-web", "globex-web (team team-globex)")


def test_record_names_who_scope_month_and_utc_time() -> None:
    at = datetime(2026, 11, 27, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    record = audit_record("admin_view", PAT, SCOPE, Month(2026, 10), at)
    assert record == {
        "event": "admin_view",
        "who": {
            "sub": "sub-pat",
            "email": "pat@platform.example",
            "org": "platform",
            "role": "platform-admin",
            "issuer": "https://login.example",
        },
        "scope": {"team_id": "team-globex", "key_alias": "globex-web", "tenant": None, "company_wide": False},
        "month": "2026-10",
        "outcome": "ok",
        "at": "2026-11-27T08:00:00+00:00",
    }


def test_log_writes_exactly_one_json_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="usage_core.audit")
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    returned = log_event("admin_view", PAT, SCOPE, Month(2026, 11), now=now)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "usage_core.audit"]
    assert "\n" not in line
    assert json.loads(line) == returned
    assert returned["at"] == "2026-11-27T08:00:00+00:00"


@pytest.mark.parametrize("outcome", ["ok", "error", "refused"])
def test_a_cli_export_names_what_was_asked_and_how_it_ended(outcome: str) -> None:
    operator = User("ops@host-1", None, "operator (CLI)", None, Role.PLATFORM_ADMIN, issuer="cli")
    asked = {"tenant": "acme-prod", "team": None, "key_alias": None, "month": "2026-13"}
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    record = audit_record("cli_export", operator, None, None, at, outcome=outcome, asked=asked)
    assert record["asked"] == asked and record["outcome"] == outcome
    assert (record["scope"], record["month"]) == (None, None)  # refused before anything was resolved
    assert record["who"]["issuer"] == "cli"


def test_the_line_is_one_line_even_with_control_characters_in_values() -> None:
    asked = {"tenant": "a\nb\x1b[2J\u2028c", "team": None, "key_alias": None, "month": None}
    record = audit_record("cli_export", PAT, None, None, datetime(2026, 1, 1, tzinfo=UTC), asked=asked)
    line = to_line(record)
    assert line.isascii() and "\n" not in line and "\x1b" not in line  # JSON escapes them all
    assert json.loads(line) == record


def test_a_failure_carries_its_incident_reference_and_nothing_else() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    record = audit_record(
        "csv_download", PAT, SCOPE, Month(2026, 10), at, outcome="error", reference="AB12CD34"
    )
    assert record["ref"] == "AB12CD34" and record["outcome"] == "error"
    assert set(record) == {"event", "who", "scope", "month", "outcome", "at", "ref"}  # no numbers, no key


def test_a_failed_admin_view_is_logged_with_what_was_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="usage_core.audit")
    asked = {"team": "team-gone", "key_alias": None, "tenant": None, "month": "2026-10"}
    log_event("admin_view", PAT, None, Month(2026, 10), outcome="error", reference="0A1B2C3D", asked=asked)
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.audit"]
    assert (line["outcome"], line["ref"], line["asked"], line["scope"]) == ("error", "0A1B2C3D", asked, None)
