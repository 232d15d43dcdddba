"""One small error tree. A message is for the operator or platform admin who can act on it: it may name
a file, a host, a namespace. Customers see `incidents.public_message` instead.

UsageError
├── InputError               bad input from a person: CLI exit 2
│   ├── InvalidMonth
│   ├── TenantNotFound       unknown *or* invisible: the two answer alike
│   ├── TeamNotFound         a LiteLLM team id that LiteLLM does not know
│   └── ConfigError          the environment does not make a working configuration
└── UpstreamError            something we depend on failed: CLI exit 3
    ├── TenantSourceError    tenants file or Kubernetes API
    │   ├── TenantSourceNotConfigured   tenants are needed, but no source is set
    │   └── InvalidTenant               one entry that does not parse (tenants.py; sources skip it)
    └── LiteLLMError
        ├── LiteLLMAuthError     401/403: the master key was refused
        ├── LiteLLMNotFound      404 (an absent endpoint or an unknown team)
        ├── LiteLLMUnavailable   timeouts, 5xx, 429 after retries, connection refused
        └── LiteLLMProtocolError an answer we cannot trust (bad JSON, lying pagination)
"""

from __future__ import annotations


class UsageError(Exception):
    """Base of every error the core raises on purpose."""


class InputError(UsageError):
    """The request itself is wrong; retrying will not help."""


class InvalidMonth(InputError):
    """A month that is not strict YYYY-MM, or lies in the future."""


class TenantNotFound(InputError):
    """A tenant that does not exist or that the asker may not see."""


class TeamNotFound(InputError):
    """A LiteLLM team id that LiteLLM does not know."""


class ConfigError(InputError):
    """Settings that cannot work together."""


class UpstreamError(UsageError):
    """A dependency (tenant source, LiteLLM) failed."""


class TenantSourceError(UpstreamError):
    """The tenant list could not be read or parsed."""


class TenantSourceNotConfigured(TenantSourceError):
    """Tenants are needed, but the settings name no source (a team-only CLI export still works)."""


class LiteLLMError(UpstreamError):
    """LiteLLM answered badly or not at all; `status` is its HTTP status when it answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LiteLLMAuthError(LiteLLMError):
    """LiteLLM refused the master key."""


class LiteLLMNotFound(LiteLLMError):
    """LiteLLM answered 404 (or 400 for an unknown team on some versions)."""


class LiteLLMUnavailable(LiteLLMError):
    """LiteLLM could not be reached or kept failing after retries."""


class LiteLLMProtocolError(LiteLLMError):
    """LiteLLM's answer broke the contract we rely on."""
