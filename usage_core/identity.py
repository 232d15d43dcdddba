"""Who is asking: a User built from OIDC ID-token claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The three roles; anything unrecognised means USER."""

    PLATFORM_ADMIN = "platform-admin"
    OWNER = "owner"
    USER = "user"


@dataclass(frozen=True)
class User:
    """A signed-in person, as far as access rules care."""

    sub: str
    email: str | None
    name: str
    org: str | None
    role: Role
    email_verified: bool = True
    issuer: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        """Platform admins may look at any team."""
        return self.role is Role.PLATFORM_ADMIN

    @property
    def identifiers(self) -> frozenset[str]:
        """Values a tenant's `spec.users` may list for this person (sub; email lower-cased if verified)."""
        ids = {self.sub}
        if self.email and self.email_verified:
            ids.add(self.email.lower())
        return frozenset(i for i in ids if i)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _roles(value: object) -> set[str]:
    if isinstance(value, str):
        return {part.strip() for part in value.replace(",", " ").split() if part.strip()}
    if isinstance(value, list | tuple):
        return {item.strip() for item in value if isinstance(item, str) and item.strip()}
    return set()


def user_from_claims(
    claims: Mapping[str, object],
    *,
    org_claim: str = "org_id",
    roles_claim: str = "roles",
    admin_role: str = "platform-admin",
    require_email_verified: bool = False,
) -> User:
    """Build a User from ID-token claims; the strongest role present wins, none means USER.

    An email counts for matching only when `email_verified` is true, or absent and not required
    (some providers never send it).
    """
    roles = _roles(claims.get(roles_claim))
    if admin_role in roles:
        role = Role.PLATFORM_ADMIN
    elif Role.OWNER.value in roles:
        role = Role.OWNER
    else:
        role = Role.USER
    sub = _text(claims.get("sub")) or ""
    email = _text(claims.get("email"))
    name = _text(claims.get("name")) or email or sub or "unknown"
    verified = _email_verified(claims.get("email_verified"), required=require_email_verified)
    return User(
        sub=sub,
        email=email,
        name=name,
        org=_text(claims.get(org_claim)),
        role=role,
        email_verified=verified,
        issuer=_text(claims.get("iss")),
    )


def _email_verified(value: object, *, required: bool) -> bool:
    if value is None:
        return not required
    # Some providers send the boolean as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
