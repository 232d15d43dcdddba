"""A failure as a customer sees it (what failed, in their terms, and a reference) and as the log keeps it."""

from __future__ import annotations

import json
import logging
import secrets
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from usage_core.errors import (
    ConfigError,
    InputError,
    InvalidMonth,
    LiteLLMAuthError,
    LiteLLMError,
    LiteLLMNotFound,
    LiteLLMProtocolError,
    LiteLLMUnavailable,
    TeamNotFound,
    TenantNotFound,
    TenantSourceError,
    TenantSourceNotConfigured,
    UpstreamError,
    UsageError,
)

LOGGER = logging.getLogger("usage_core.incidents")

TRY_AGAIN = "Try again in a minute."
ASK_PLATFORM = "Your platform team can fix this; quote the reference."
NOT_CONFIGURED = f"The dashboard is not configured correctly. {ASK_PLATFORM}"
# Most specific first: the first class a problem is an instance of gives its message. Every text is
# fixed: a customer never reads the problem's own message, which may name a file, host or namespace.
_PUBLIC: tuple[tuple[type[BaseException], str], ...] = (
    (InvalidMonth, "That month cannot be shown. Pick one from the month list."),
    (TenantNotFound, "That tenant was not found."),
    (TeamNotFound, f"Usage data for this tenant cannot be found: its setup is not finished. {ASK_PLATFORM}"),
    (ConfigError, NOT_CONFIGURED),
    (InputError, "That request cannot be answered as asked."),
    (TenantSourceNotConfigured, NOT_CONFIGURED),
    (TenantSourceError, f"The list of tenants is unavailable right now. {TRY_AGAIN}"),
    (
        LiteLLMAuthError,
        f"Usage data is unavailable right now: the dashboard's access to it was refused. {ASK_PLATFORM}",
    ),
    (
        LiteLLMProtocolError,
        f"Usage data could not be read completely, so none is shown rather than a partial month. {TRY_AGAIN}",
    ),
    (
        LiteLLMNotFound,
        f"Usage data is unavailable: the usage service lacks what the dashboard reads. {ASK_PLATFORM}",
    ),
    (LiteLLMUnavailable, f"Usage data is unavailable right now. {TRY_AGAIN}"),
    (LiteLLMError, f"Usage data is unavailable right now. {TRY_AGAIN}"),
    (UpstreamError, f"A service the dashboard depends on is unavailable right now. {TRY_AGAIN}"),
)
SOMETHING_WENT_WRONG = f"Something went wrong on our side. {TRY_AGAIN}"


@dataclass(frozen=True)
class Incident:
    """One failure: a short reference, what anyone may read, and the details for operators."""

    reference: str
    public: str
    detail: str


def public_message(problem: BaseException) -> str:
    """What failed, in a customer's terms: names no host, path, namespace or other org's tenant."""
    for kind, message in _PUBLIC:
        if isinstance(problem, kind):
            return message
    return SOMETHING_WENT_WRONG


def _detail(problem: BaseException) -> str:
    if isinstance(problem, UsageError):
        return " ".join(str(problem).split())
    # A foreign exception's text may quote a request, a header or a URL: keep where it came from only.
    frames = traceback.extract_tb(problem.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"unexpected {type(problem).__name__}{place}"


def new_reference() -> str:
    """A short, unguessable id that a customer can quote and an operator can grep for."""
    return secrets.token_hex(4).upper()


def record(
    problem: BaseException,
    *,
    where: str,
    context: Mapping[str, object] | None = None,
    logger: logging.Logger = LOGGER,
) -> Incident:
    """Log the failure's details as one JSON line under a new reference; return the Incident.

    The line may name files, hosts and namespaces (the server log is the operators'); it holds no
    secret: the core's own messages never do, and of anything else only the type and place are kept.
    """
    incident = Incident(new_reference(), public_message(problem), _detail(problem))
    line: dict[str, object] = {
        "event": "error",
        "ref": incident.reference,
        "where": where,
        "error": type(problem).__name__,
        "detail": incident.detail,
    }
    status = getattr(problem, "status", None)
    if status is not None:
        line["status"] = status
    if context:
        line["context"] = dict(context)
    logger.error(json.dumps(line, sort_keys=True, separators=(",", ":"), default=str))
    return incident
