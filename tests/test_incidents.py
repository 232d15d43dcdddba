"""Incidents: what a customer reads (nothing that is not theirs) and what the log keeps (everything, once)."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import re

import pytest

import usage_core
from usage_core import incidents
from usage_core.errors import (
    LiteLLMError,
    LiteLLMUnavailable,
    TenantSourceError,
    TenantSourceNotConfigured,
    UsageError,
)
from usage_core.incidents import NOT_CONFIGURED, SOMETHING_WENT_WRONG, public_message, record
from usage_core.tenants import InvalidTenant

# What the issue saw on a customer's screen: a file path, another org's tenant, LiteLLM's internal
# address, a namespace, the API server's URL.
PRIVATE = (
    "/etc/usage-dashboard/tenants.yaml",
    "initech-secret-merger",
    "127.0.0.1:45189",
    "litellm.platform.svc",
    "initech-prod-ns",
    "https://10.96.0.1:443",
)
DETAIL = (
    f"{PRIVATE[0]}: entry 5 ({PRIVATE[1]}): spec.displayName must be a string. LiteLLM at {PRIVATE[2]} "
    f"(http://{PRIVATE[3]}:4000) did not answer; namespace {PRIVATE[4]} at {PRIVATE[5]}"
)


def _every_usage_error() -> list[type[UsageError]]:
    # Import every module first, so that error classes defined outside errors.py are found too.
    for module in pkgutil.iter_modules(usage_core.__path__):
        importlib.import_module(f"usage_core.{module.name}")
    found: list[type[UsageError]] = []
    pending: list[type[UsageError]] = list(UsageError.__subclasses__())  # the base is never raised
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return sorted(found, key=lambda k: f"{k.__module__}.{k.__qualname__}")


def _problem(kind: type[UsageError]) -> UsageError:
    if issubclass(kind, InvalidTenant):
        return kind(PRIVATE[0], PRIVATE[1], f"spec.displayName must be a string ({DETAIL}).")
    if issubclass(kind, LiteLLMError):
        return kind(DETAIL, status=503)
    return kind(DETAIL)


@pytest.mark.parametrize("kind", _every_usage_error(), ids=lambda k: k.__qualname__)
def test_every_usage_error_has_a_public_message_that_names_nothing_private(kind: type[UsageError]) -> None:
    message = public_message(_problem(kind))
    for private in PRIVATE:
        assert private not in message
    assert message and message != SOMETHING_WENT_WRONG  # each kind says, in the customer's terms, what failed
    assert "\n" not in message


def test_the_kinds_that_customers_meet_most_say_what_to_do() -> None:
    assert (
        public_message(LiteLLMUnavailable("x"))
        == "Usage data is unavailable right now. Try again in a minute."
    )
    assert public_message(TenantSourceError("x")).startswith("The list of tenants is unavailable right now.")
    # A missing setting will not fix itself in a minute: it asks for the platform team.
    assert public_message(TenantSourceNotConfigured("x")) == NOT_CONFIGURED
    assert "quote the reference" in NOT_CONFIGURED


def test_anything_else_is_something_that_went_wrong_on_our_side() -> None:
    assert public_message(KeyError("initech-secret-merger")) == SOMETHING_WENT_WRONG


def _logged(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "usage_core.incidents"]


def test_record_logs_the_details_under_the_reference_and_returns_the_public_side(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="usage_core.incidents")
    problem = LiteLLMUnavailable(DETAIL + "\nsecond line", status=502)
    incident = record(problem, where="usage page", context={"tenant": "acme-prod", "month": "2026-11"})

    assert incident.public == public_message(problem)
    (line,) = _logged(caplog)
    assert line == {
        "event": "error",
        "ref": incident.reference,
        "where": "usage page",
        "error": "LiteLLMUnavailable",
        "detail": DETAIL + " second line",  # every detail, on one line
        "status": 502,
        "context": {"tenant": "acme-prod", "month": "2026-11"},
    }
    assert incident.detail == line["detail"]
    assert (caplog.records[-1].levelno, caplog.records[-1].getMessage().count("\n")) == (logging.ERROR, 0)


def test_references_are_short_and_differ_each_time(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="usage_core.incidents")
    refs = [record(TenantSourceError(DETAIL), where="test").reference for _ in range(200)]
    assert all(re.fullmatch(r"[0-9A-F]{8}", ref) for ref in refs)
    assert len(set(refs)) == len(refs)
    assert [line["ref"] for line in _logged(caplog)] == refs


def test_a_foreign_exception_is_logged_by_type_and_place_not_by_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its text may quote a request or a header; the log keeps where it came from."""
    caplog.set_level(logging.ERROR, logger="usage_core.incidents")
    try:
        {"Authorization": "Bearer sk-live-123"}["missing"]
    except KeyError as exc:
        problem = exc
    problem.args = ("Bearer sk-live-123",)
    incident = record(problem, where="test")
    assert incident.public == SOMETHING_WENT_WRONG
    assert re.fullmatch(r"unexpected KeyError at test_incidents\.py:\d+", incident.detail)
    assert "sk-live-123" not in caplog.text


def test_the_logger_is_the_modules() -> None:
    assert incidents.LOGGER.name == "usage_core.incidents"
