"""User from OIDC ID-token claims: roles as a string or a list, configurable claim names."""

from __future__ import annotations

import pytest

from usage_core.identity import Role, User, user_from_claims

BASE = {"sub": "sub-1", "email": "alice@acme.example", "name": "Alice", "org_id": "acme"}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        # absent, empty or unusable: user
        (None, Role.USER),
        ("", Role.USER),
        ("   ", Role.USER),
        ([], Role.USER),
        (42, Role.USER),
        ({"owner": True}, Role.USER),
        ([1, None, ["owner"]], Role.USER),
        # unknown values, and known ones spelled differently, fail closed to user
        ("superuser", Role.USER),
        ("Owner", Role.USER),
        ("PLATFORM-ADMIN", Role.USER),
        ("admin", Role.USER),
        # a single string
        ("user", Role.USER),
        ("owner", Role.OWNER),
        ("platform-admin", Role.PLATFORM_ADMIN),
        (" owner ", Role.OWNER),
        # several in one string, space or comma separated: the strongest wins
        ("user owner", Role.OWNER),
        ("owner,platform-admin", Role.PLATFORM_ADMIN),
        # a list (or tuple): the strongest wins, order does not matter
        (["owner"], Role.OWNER),
        (["user", "owner"], Role.OWNER),
        (["owner", "user"], Role.OWNER),
        (["platform-admin", "owner"], Role.PLATFORM_ADMIN),
        (("user", "platform-admin"), Role.PLATFORM_ADMIN),
        (["viewer", 7, "owner"], Role.OWNER),
    ],
)
def test_role_from_the_roles_claim(roles: object, expected: Role) -> None:
    claims = dict(BASE) if roles is None else {**BASE, "roles": roles}
    user = user_from_claims(claims)
    assert user.role is expected
    assert user.is_platform_admin is (expected is Role.PLATFORM_ADMIN)


def test_every_field_from_default_claim_names() -> None:
    user = user_from_claims({**BASE, "roles": ["owner"]})
    assert user == User(sub="sub-1", email="alice@acme.example", name="Alice", org="acme", role=Role.OWNER)


def test_claim_names_and_admin_role_are_configurable() -> None:
    claims = {
        "sub": "s",
        "email": "ops@platform.example",
        "https://example.com/org": "initech",
        "groups": ["dashboard-admins"],
        # the default names are now just other claims
        "org_id": "acme",
        "roles": ["platform-admin"],
    }
    user = user_from_claims(
        claims, org_claim="https://example.com/org", roles_claim="groups", admin_role="dashboard-admins"
    )
    assert (user.org, user.role) == ("initech", Role.PLATFORM_ADMIN)


def test_a_configured_admin_role_replaces_the_default_one() -> None:
    """With another admin role, a token that says `platform-admin` gets no admin rights."""
    user = user_from_claims({**BASE, "roles": ["platform-admin"]}, admin_role="dashboard-admins")
    assert user.role is Role.USER
    owner = user_from_claims({**BASE, "roles": "owner"}, admin_role="dashboard-admins")
    assert owner.role is Role.OWNER


def test_roles_in_the_unconfigured_claim_are_ignored() -> None:
    user = user_from_claims({**BASE, "roles": "platform-admin"}, roles_claim="groups")
    assert user.role is Role.USER


@pytest.mark.parametrize(
    ("claims", "email", "name"),
    [
        ({"sub": "s1", "name": "Zed"}, None, "Zed"),  # no email
        ({"sub": "s1", "email": "  ", "name": "Zed"}, None, "Zed"),  # blank email
        ({"sub": "s1", "email": "z@x.example"}, "z@x.example", "z@x.example"),  # no name: email
        ({"sub": "s1", "email": " z@x.example ", "name": " "}, "z@x.example", "z@x.example"),
        ({"sub": "s1"}, None, "s1"),  # neither: the sub
        ({}, None, "unknown"),  # nothing at all
        ({"sub": 5, "email": ["z@x.example"], "name": {"first": "Z"}}, None, "unknown"),  # wrong types
    ],
)
def test_missing_email_and_name(claims: dict[str, object], email: str | None, name: str) -> None:
    user = user_from_claims(claims)
    assert (user.email, user.name) == (email, name)
    assert user.role is Role.USER


@pytest.mark.parametrize(
    ("org", "expected"),
    [("acme", "acme"), (" acme ", "acme"), ("", None), (None, None), (["acme"], None), (7, None)],
)
def test_org_must_be_a_non_blank_string(org: object, expected: str | None) -> None:
    assert user_from_claims({**BASE, "org_id": org}).org == expected


def test_missing_org_claim() -> None:
    claims = {k: v for k, v in BASE.items() if k != "org_id"}
    assert user_from_claims(claims).org is None


def test_identifiers_are_sub_and_lowercased_email() -> None:
    user = user_from_claims({"sub": "Sub-ABC", "email": "Alice@ACME.example"})
    assert user.identifiers == {"Sub-ABC", "alice@acme.example"}
    assert user_from_claims({"email": "a@b.example"}).identifiers == {"a@b.example"}
    assert user_from_claims({}).identifiers == frozenset()


# -- email_verified: an email counts for matching only when the provider vouches for it ---------------

ABSENT = object()

# the claim's value (ABSENT: not in the token), REQUIRE_EMAIL_VERIFIED -> whether the email counts
EMAIL_VERIFIED = [
    (True, False, True),
    (True, True, True),
    ("true", False, True),  # some providers (older Cognito, AD FS) send the boolean as a string
    (" TRUE ", True, True),
    (False, False, False),
    (False, True, False),
    ("false", False, False),
    ("yes", False, False),  # anything but true is not a yes
    (1, False, False),
    (None, False, True),  # null is "not returned" in OIDC Core 5.3.2: as absent
    (None, True, False),
    ("", False, False),
    (ABSENT, False, True),  # a provider that never sends the claim
    (ABSENT, True, False),  # ... unless the platform requires it
]


@pytest.mark.parametrize(("claim", "required", "counts"), EMAIL_VERIFIED)
def test_email_counts_only_when_verified(claim: object, required: bool, counts: bool) -> None:
    claims: dict[str, object] = {"sub": "sub-1", "email": "Alice@ACME.example", "org_id": "acme"}
    if claim is not ABSENT:
        claims["email_verified"] = claim
    user = user_from_claims(claims, require_email_verified=required)
    assert user.email_verified is counts
    assert user.email == "Alice@ACME.example"  # still shown as who is signed in, either way
    expected = {"sub-1", "alice@acme.example"} if counts else {"sub-1"}
    assert user.identifiers == expected  # the sub always matches


def test_the_issuer_is_recorded() -> None:
    assert user_from_claims({**BASE, "iss": " https://login.example/realms/acme "}).issuer == (
        "https://login.example/realms/acme"
    )
    assert user_from_claims(BASE).issuer is None  # BASE has no iss
    assert user_from_claims({**BASE, "iss": ["https://a.example"]}).issuer is None
