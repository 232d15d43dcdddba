"""One typed settings object, read from the environment (the README's configuration contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from usage_core.errors import ConfigError
from usage_core.months import DEFAULT_MONTHS_HORIZON


class Settings(BaseSettings):
    """Everything the app and the CLI are configured with; tests construct it directly."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    litellm_base_url: str | None = None
    litellm_master_key: SecretStr | None = None
    tenant_source: Literal["kubernetes", "file"] | None = None
    tenants_file: Path | None = None
    tenant_api_group: str = "platform.example.com"
    tenant_api_version: str = "v1alpha1"
    tenant_plural: str = "tenants"
    tenant_namespace: str | None = None
    oidc_org_claim: str = "org_id"
    oidc_roles_claim: str = "roles"
    platform_admin_role: str = "platform-admin"
    require_email_verified: bool = False
    usage_cache_ttl_seconds: int = Field(default=60, ge=0, le=86400)
    months_horizon: int = Field(default=DEFAULT_MONTHS_HORIZON, ge=1, le=1200)
    audit_log_file: Path | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """An exported-but-empty variable means the same as an unset one (the field's default)."""
        if isinstance(value, str) and not value.strip() and info.field_name is not None:
            return cls.model_fields[info.field_name].get_default()
        return value

    @field_validator("litellm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (
            not value.startswith(("http://", "https://")) or not urlsplit(value).hostname
        ):
            raise ValueError("must be an http:// or https:// URL with a host")
        return value.rstrip("/") if value else value

    @property
    def demo(self) -> bool:
        """No LiteLLM configured: serve the embedded demo."""
        return self.litellm_base_url is None

    @property
    def effective_tenant_source(self) -> Literal["kubernetes", "file", "demo"]:
        """Where tenants come from, after the defaults of the contract are applied."""
        if self.tenant_source is not None:
            return self.tenant_source
        if self.tenants_file is not None:
            return "file"
        if self.demo:
            return "demo"
        raise ConfigError(
            "No tenant source: set TENANTS_FILE, or TENANT_SOURCE=kubernetes, when LITELLM_BASE_URL is set."
        )

    def check(self) -> Settings:
        """Raise ConfigError when the settings cannot work together; return self."""
        if self.litellm_base_url and self.litellm_master_key is None:
            raise ConfigError("LITELLM_MASTER_KEY is required when LITELLM_BASE_URL is set.")
        if self.tenant_source == "file" and self.tenants_file is None:
            raise ConfigError("TENANT_SOURCE=file needs TENANTS_FILE.")
        return self


def load_settings() -> Settings:
    """Read and check the settings from the environment, or raise ConfigError with a clear line."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid configuration: {problems}") from None
    return settings.check()
