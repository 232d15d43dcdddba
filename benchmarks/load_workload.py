"""Who the load benchmark's sessions are and what they do: personas, views, a seeded plan of actions.

Personas are the demo's member, owner and admin, plus a member for every other person the demo
tenants list, so every org is viewed. A session opens one of its persona's tenants for one of the
last three months, then, after each page run and a think time, reruns the page, switches month or
tenant through the URL (as a shared link or the pickers do), or presses Refresh.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from usage_core import display
from usage_core.access import UsageRequest, resolve, visible_tenants
from usage_core.demo import DEMO_PERSONAS, DEMO_TENANTS
from usage_core.identity import User, user_from_claims
from usage_core.months import Month
from usage_core.tenants import Tenant

MONTH_WEIGHTS = (0.6, 0.3, 0.1)  # this month, the previous one, the one before
ACTION_WEIGHTS = {"rerun": 0.35, "month": 0.25, "tenant": 0.25, "refresh": 0.15}


@dataclass(frozen=True)
class Persona:
    """A person who signs in: their ID-token claims and the tenants they may see."""

    key: str
    claims: Mapping[str, Any]
    user: User
    tenants: tuple[Tenant, ...]


def personas(tenants: Sequence[Tenant] = DEMO_TENANTS) -> list[Persona]:
    """The demo personas, then a `user`-role member for every other address in `spec.users`."""
    claims: dict[str, Mapping[str, Any]] = dict(DEMO_PERSONAS)
    known = {str(c.get("email", "")).lower() for c in claims.values()}
    for tenant in tenants:
        for email in tenant.users:
            if email.lower() in known:
                continue
            known.add(email.lower())
            local = email.partition("@")[0]
            claims[f"member-{local}"] = {
                "sub": f"load-{local}",
                "email": email,
                "name": local.title(),
                "org_id": tenant.org_id,
                "roles": ["user"],
            }
    result = []
    for key, c in claims.items():
        user = user_from_claims(c)
        result.append(Persona(key, c, user, tuple(visible_tenants(user, tenants))))
    return [p for p in result if p.tenants]


@dataclass(frozen=True)
class View:
    """One tenant and month as a persona sees it."""

    tenant: Tenant
    month: Month
    team_id: str | None  # the LiteLLM team read for it; None: nothing is read (no key yet)

    @property
    def query_string(self) -> str:
        """The URL's query, as the app writes it back."""
        return urlencode({"tenant": self.tenant.name, "month": str(self.month)})

    @property
    def title(self) -> str:
        """The page's h1."""
        return display.title(self.tenant.display_name, self.month)

    @property
    def team_month(self) -> tuple[str, str] | None:
        """The cache entry the page reads: (team id, YYYY-MM)."""
        return None if self.team_id is None else (self.team_id, str(self.month))


def view(persona: Persona, tenant: Tenant, month: Month, tenants: Sequence[Tenant] = DEMO_TENANTS) -> View:
    """What the app resolves `?tenant=` to for this persona."""
    resolution = resolve(persona.user, tenants, UsageRequest(tenant.name, None, None))
    return View(tenant, month, resolution.scope.team_id if resolution.scope else None)


class SessionPlan:
    """One session's seeded choices: its first view, then an action after every page run."""

    def __init__(self, persona: Persona, months: Sequence[Month], seed: int) -> None:
        self.persona = persona
        self.months = list(months)
        self.rng = random.Random(seed)

    def _month(self, other_than: Month | None = None) -> Month:
        choices = [(m, w) for m, w in zip(self.months, MONTH_WEIGHTS, strict=False) if m != other_than]
        return self.rng.choices([m for m, _ in choices], [w for _, w in choices])[0]

    def first(self) -> View:
        """The view the session opens with."""
        return view(self.persona, self.rng.choice(self.persona.tenants), self._month())

    def next(self, current: View) -> tuple[str, View]:
        """The next action and the view it leads to."""
        action = self.rng.choices(list(ACTION_WEIGHTS), list(ACTION_WEIGHTS.values()))[0]
        if action == "tenant" and len(self.persona.tenants) < 2:
            action = "month"
        if action == "month":
            return action, view(self.persona, current.tenant, self._month(other_than=current.month))
        if action == "tenant":
            others = [t for t in self.persona.tenants if t != current.tenant]
            return action, view(self.persona, self.rng.choice(others), current.month)
        return action, current

    def think_time(self, low: float, high: float) -> float:
        """Seconds the person looks at the page before the next action."""
        return self.rng.uniform(low, high)
