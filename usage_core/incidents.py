"""A failure as a customer sees it (what failed, in their terms, and a reference) and as the log keeps it."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from usage_core.errors import (
    ConfigError,
    LiteLLMAuthError,
    LiteLLMError,
    LiteLLMProtocolError,
    TenantSourceError,
)

LOGGER = logging.getLogger("usage_core.incidents")

TRY_AGAIN = "Try again in a minute."
_PUBLIC: tuple[tuple[type[BaseException], str], ...] = (
    (TenantSourceError, f"The list of tenants is unavailable right now. {TRY_AGAIN}"),
    (
        LiteLLMAuthError,
        "Usage data is unavailable right now: the dashboard's access to it was refused. "
        "Your platform team can fix this; quote the reference.",
    ),
    (
        LiteLLMProtocolError,
        f"Usage data could not be read completely, so none is shown rather than a partial month. {TRY_AGAIN}",
    ),
    (LiteLLMError, f"Usage data is unavailable right now. {TRY_AGAIN}"),
    (
        ConfigError,
        "The dashboard is not configured correctly. Your platform team can fix this; quote the reference.",
    ),
)


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
    return f"Something went wrong on our side. {TRY_AGAIN}"


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
    """Log the failure's details as one JSON line under a new reference; return the Incident."""
    incident = Incident(new_reference(), public_message(problem), str(problem))
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
