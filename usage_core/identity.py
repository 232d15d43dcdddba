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

    @property
    def is_platform_admin(self) -> bool:
        """Platform admins may look at any team."""
        return self.role is Role.PLATFORM_ADMIN

    @property
    def identifiers(self) -> frozenset[str]:
        """Values a tenant's `spec.users` may list for this person (email lower-cased, sub)."""
        ids = {self.sub}
        if self.email:
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
) -> User:
    """Build a User from ID-token claims; the strongest role present wins, none means USER."""
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
    return User(sub=sub, email=email, name=name, org=_text(claims.get(org_claim)), role=role)
