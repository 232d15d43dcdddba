"""Settings from the environment: the configuration contract, secrets that never print, clear errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from usage_core.config import Settings, load_settings
from usage_core.errors import ConfigError, InputError

KEY = "sk-secret-4711"
CONTRACT = [
    "LITELLM_BASE_URL",
    "LITELLM_MASTER_KEY",
    "TENANT_SOURCE",
    "TENANTS_FILE",
    "TENANT_API_GROUP",
    "TENANT_API_VERSION",
    "TENANT_PLURAL",
    "TENANT_NAMESPACE",
    "OIDC_ORG_CLAIM",
    "OIDC_ROLES_CLAIM",
    "PLATFORM_ADMIN_ROLE",
    "USAGE_CACHE_TTL_SECONDS",
    "REQUIRE_EMAIL_VERIFIED",
    "MONTHS_HORIZON",
    "AUDIT_LOG_FILE",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts from an environment that sets none of the contract's variables."""
    for name in CONTRACT:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.chdir(tmp_path)
    yield


def _config_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    error = caught.value
    # One clear line, with no chained pydantic traceback behind it.
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert "\n" not in str(error)
    assert "Traceback" not in str(error) and "pydantic" not in str(error)
    return str(error)


def test_defaults_are_the_demo() -> None:
    settings = load_settings()
    assert settings.demo is True
    assert settings.effective_tenant_source == "demo"
    assert settings.litellm_base_url is None and settings.litellm_master_key is None
    assert (settings.tenant_source, settings.tenants_file, settings.tenant_namespace) == (None, None, None)
    assert (settings.tenant_api_group, settings.tenant_api_version, settings.tenant_plural) == (
        "platform.example.com",
        "v1alpha1",
        "tenants",
    )
    assert (settings.oidc_org_claim, settings.oidc_roles_claim) == ("org_id", "roles")
    assert settings.platform_admin_role == "platform-admin"
    assert settings.usage_cache_ttl_seconds == 60
    assert settings.require_email_verified is False
    assert settings.months_horizon == 24
    assert settings.audit_log_file is None


def test_every_variable_of_the_contract_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "LITELLM_BASE_URL": "https://llm.example.com/",
        "LITELLM_MASTER_KEY": KEY,
        "TENANT_SOURCE": "kubernetes",
        "TENANTS_FILE": "/etc/tenants.yaml",
        "TENANT_API_GROUP": "tenants.corp.example",
        "TENANT_API_VERSION": "v1",
        "TENANT_PLURAL": "customers",
        "TENANT_NAMESPACE": "platform",
        "OIDC_ORG_CLAIM": "https://corp.example/org",
        "OIDC_ROLES_CLAIM": "groups",
        "PLATFORM_ADMIN_ROLE": "dashboard-admins",
        "USAGE_CACHE_TTL_SECONDS": "15",
        "REQUIRE_EMAIL_VERIFIED": "true",
        "MONTHS_HORIZON": "6",
        "AUDIT_LOG_FILE": "/var/log/usage-dashboard/audit.jsonl",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.litellm_base_url == "https://llm.example.com"  # trailing slash dropped
    assert settings.litellm_master_key is not None
    assert settings.litellm_master_key.get_secret_value() == KEY
    assert settings.tenant_source == "kubernetes" == settings.effective_tenant_source
    assert settings.tenants_file == Path("/etc/tenants.yaml")
    assert (settings.tenant_api_group, settings.tenant_api_version) == ("tenants.corp.example", "v1")
    assert (settings.tenant_plural, settings.tenant_namespace) == ("customers", "platform")
    assert (settings.oidc_org_claim, settings.oidc_roles_claim) == ("https://corp.example/org", "groups")
    assert settings.platform_admin_role == "dashboard-admins"
    assert settings.usage_cache_ttl_seconds == 15
    assert settings.require_email_verified is True
    assert settings.months_horizon == 6
    assert settings.audit_log_file == Path("/var/log/usage-dashboard/audit.jsonl")
    assert settings.demo is False


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_means_unset(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    """`export VAR=` (as a Helm chart with an empty value writes) behaves like no VAR at all."""
    unset = load_settings()
    for name in CONTRACT:
        monkeypatch.setenv(name, blank)
    settings = load_settings()
    assert settings == unset
    assert settings.demo and settings.effective_tenant_source == "demo"
    assert settings.litellm_master_key is None
    assert settings.oidc_org_claim == "org_id" and settings.usage_cache_ttl_seconds == 60


def test_a_blank_master_key_is_a_missing_one(monkeypatch: pytest.MonkeyPatch) -> None:
    message = _config_error(
        monkeypatch, LITELLM_BASE_URL="http://127.0.0.1:4000", LITELLM_MASTER_KEY="", TENANTS_FILE="t.yaml"
    )
    assert message == "LITELLM_MASTER_KEY is required when LITELLM_BASE_URL is set."


def test_the_master_key_never_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:4000")
    monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)
    monkeypatch.setenv("TENANTS_FILE", "tenants.yaml")
    settings = load_settings()
    for shown in (
        repr(settings),
        str(settings),
        f"{settings}",
        settings.model_dump_json(),
        str(settings.model_dump()),
        repr(settings.litellm_master_key),
        str(settings.litellm_master_key),
    ):
        assert KEY not in shown
    assert settings.litellm_master_key is not None
    assert settings.litellm_master_key.get_secret_value() == KEY


@pytest.mark.parametrize(
    "url",
    [
        "localhost:4000",
        "127.0.0.1:4000",
        "ftp://llm.example.com",
        "http://",
        "https:///v1",
        "llm.example.com",
    ],
)
def test_invalid_url_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    message = _config_error(monkeypatch, LITELLM_BASE_URL=url, LITELLM_MASTER_KEY=KEY)
    assert message.startswith("Invalid configuration: LITELLM_BASE_URL: ")
    assert "http:// or https://" in message
    assert KEY not in message


def test_an_invalid_url_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped URL may carry credentials: the message names the variable, not the value."""
    message = _config_error(monkeypatch, LITELLM_BASE_URL="ftp://admin:hunter2@proxy.internal")
    assert "hunter2" not in message and "proxy.internal" not in message


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TENANT_SOURCE": "database"}, "TENANT_SOURCE"),
        ({"USAGE_CACHE_TTL_SECONDS": "soon"}, "USAGE_CACHE_TTL_SECONDS"),
        ({"USAGE_CACHE_TTL_SECONDS": "-1"}, "USAGE_CACHE_TTL_SECONDS"),
        ({"USAGE_CACHE_TTL_SECONDS": "86401"}, "USAGE_CACHE_TTL_SECONDS"),
        ({"REQUIRE_EMAIL_VERIFIED": "maybe"}, "REQUIRE_EMAIL_VERIFIED"),
        ({"MONTHS_HORIZON": "0"}, "MONTHS_HORIZON"),
        ({"MONTHS_HORIZON": "1201"}, "MONTHS_HORIZON"),
        ({"MONTHS_HORIZON": "two years"}, "MONTHS_HORIZON"),
    ],
)
def test_other_invalid_values(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str) -> None:
    assert _config_error(monkeypatch, **env).startswith(f"Invalid configuration: {variable}: ")


def test_config_error_is_an_input_error() -> None:
    """The CLI maps InputError to exit 2: a configuration mistake must be one."""
    assert issubclass(ConfigError, InputError)


@pytest.mark.parametrize(
    ("env", "source", "demo"),
    [
        ({}, "demo", True),
        ({"TENANTS_FILE": "t.yaml"}, "file", True),  # demo LiteLLM, real tenant list
        ({"TENANT_SOURCE": "kubernetes"}, "kubernetes", True),
        ({"TENANT_SOURCE": "kubernetes", "TENANTS_FILE": "t.yaml"}, "kubernetes", True),  # explicit wins
        ({"TENANT_SOURCE": "file", "TENANTS_FILE": "t.yaml"}, "file", True),
        (
            {
                "LITELLM_BASE_URL": "http://127.0.0.1:4000",
                "LITELLM_MASTER_KEY": KEY,
                "TENANTS_FILE": "t.yaml",
            },
            "file",
            False,
        ),
        (
            {
                "LITELLM_BASE_URL": "http://127.0.0.1:4000",
                "LITELLM_MASTER_KEY": KEY,
                "TENANT_SOURCE": "kubernetes",
            },
            "kubernetes",
            False,
        ),
    ],
)
def test_effective_tenant_source(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], source: str, demo: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (settings.effective_tenant_source, settings.demo) == (source, demo)


def test_a_real_litellm_needs_a_tenant_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the demo tenants in front of real data: asking for the source is a clear error."""
    monkeypatch.setenv("LITELLM_BASE_URL", "http://127.0.0.1:4000")
    monkeypatch.setenv("LITELLM_MASTER_KEY", KEY)
    settings = load_settings()
    with pytest.raises(ConfigError) as caught:
        _ = settings.effective_tenant_source
    message = str(caught.value)
    assert "TENANTS_FILE" in message and "TENANT_SOURCE=kubernetes" in message
    assert KEY not in message


def test_file_source_needs_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _config_error(monkeypatch, TENANT_SOURCE="file") == "TENANT_SOURCE=file needs TENANTS_FILE."


def test_tests_can_construct_settings_directly() -> None:
    settings = Settings(
        litellm_base_url="http://127.0.0.1:4000/",
        litellm_master_key=KEY,
        tenant_source="file",
        tenants_file=Path("t.yaml"),
    )
    assert settings.check() is settings
    assert settings.litellm_base_url == "http://127.0.0.1:4000"
    assert KEY not in repr(settings)


def test_the_contract_is_every_setting_and_the_readme_documents_each() -> None:
    assert sorted(CONTRACT) == sorted(name.upper() for name in Settings.model_fields)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z_]+)`", section))
    assert set(CONTRACT) <= documented, sorted(set(CONTRACT) - documented)
