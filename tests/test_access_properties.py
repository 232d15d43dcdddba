"""Tenant isolation as properties over generated worlds, checked against an oracle written from DESIGN.md.

The oracle below restates DESIGN.md's table without importing any helper of usage_core.access:

| who | sees |
|---|---|
| `user`-role member | only tenants listed in the tenant's `spec.users` (by email or `sub`) |
| org `owner` | every tenant of their org |
| platform admin | every tenant of every org, and any LiteLLM team |

made precise where the table is silent: an org must be non-empty and equal exactly (no trimming:
a padded org is another org, so it fails closed); `spec.users` entries are compared trimmed; a
`sub` matches exactly (case matters), an email ignoring case and surrounding spaces; an empty
identifier matches nothing; an email the IdP has not verified matches nothing (when User carries
`email_verified`). One LiteLLM team per org and one alias per tenant key within a team are the
platform's invariants (the operator makes them so), and the generated worlds keep them.

The generators make the interesting cases common rather than rare: the signed-in person is usually
listed somewhere (by email in another case, by sub, through a padded entry), requests name visible,
invisible and absent tenants about equally, invisible tenants share a team with visible ones, and
aliases are prefixes or substrings of each other. `test_interesting_cases_are_common` holds them to
it. Run with `--hypothesis-show-statistics` to see how often each branch ran (hypothesis.event).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TypeVar

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from usage_core.access import Outcome, Resolution, UsageRequest, resolve, visible_tenants
from usage_core.identity import Role, User
from usage_core.tenants import Tenant

# Generated cases per run, by property: 10,000 in all.
EXAMPLES = {
    "named": 5_000,
    "invisible": 2_500,
    "visible": 1_000,
    "admin_team": 500,
    "common": 1_000,
}


def cases(name: str, **options: object) -> settings:
    """Hypothesis settings for one property: its share of the run, no per-example deadline (slow CI)."""
    return settings(
        max_examples=EXAMPLES[name], deadline=None, suppress_health_check=[HealthCheck.too_slow], **options
    )


T = TypeVar("T")

# Whether this User knows if its email was verified (added to identity separately): the generators
# and the oracle use it as soon as it exists.
HAS_EMAIL_VERIFIED = "email_verified" in {f.name for f in fields(User)}


# -- the oracle ------------------------------------------------------------------------------------


def oracle_listed(user: User, tenant: Tenant) -> bool:
    """`spec.users` names this person: their sub exactly, or their verified email in any case."""
    entries = [entry.strip() for entry in tenant.users]
    if user.sub and user.sub in entries:
        return True
    email = (user.email or "").strip().lower()
    verified = getattr(user, "email_verified", True)
    return bool(email) and verified and email in (entry.lower() for entry in entries)


def oracle_sees(user: User, tenant: Tenant) -> bool:
    """DESIGN.md's table."""
    if user.role is Role.PLATFORM_ADMIN:
        return True
    if not user.org or user.org != tenant.org_id:
        return False
    return user.role is Role.OWNER or oracle_listed(user, tenant)


@dataclass(frozen=True)
class Expected:
    """What DESIGN.md says a request for one visible tenant shows."""

    outcome: Outcome
    team_id: str | None = None
    key_alias: str | None = None


def oracle_shows(user: User, tenant: Tenant) -> Expected:
    """A visible tenant: its own key alias; without one, company-wide for owners and admins only."""
    if tenant.team_id is None:
        return Expected(Outcome.NOT_AVAILABLE)
    if tenant.key_alias is not None:
        return Expected(Outcome.SCOPE, tenant.team_id, tenant.key_alias)
    if user.role is Role.USER:  # the team total would show the member's siblings
        return Expected(Outcome.NOT_AVAILABLE)
    return Expected(Outcome.SCOPE, tenant.team_id, None)


# -- generated worlds --------------------------------------------------------------------------------
# A world is decoded from one drawn seed (see Choices) rather than from a hundred small draws:
# Hypothesis spends most of its time per draw, and this keeps 10,000 worlds within budget on a busy
# CI machine. Options are listed with repeats to weight the interesting ones; a seed picks among
# them uniformly (Hypothesis's own integers lean toward small values, which would make the first
# option of every choice the common one). The price: shrinking cannot simplify a world, so a
# failing one is reported whole; it holds at most seven tenants.

HOME, OTHER = "acme", "globex"
TEAM = {HOME: "team-acme", OTHER: "team-globex", "initech": "team-initech"}  # one team per org


@dataclass(frozen=True)
class Person:
    sub: str
    email: str


PEOPLE = (
    Person("sub-alice", "alice@acme.example"),
    Person("sub-bob", "bob@acme.example"),
    Person("Sub-Alice", "alicia@acme.example"),  # a sub that differs from Alice's only in case
    Person("sub-gina", "gina@globex.example"),
)
NAMES = ("acme-prod", "acme-prod-eu", "acme-dev", "acme", "globex-web", "globex-ml", "initech")
# Aliases within one team that are prefixes and substrings of each other; LiteLLM's own key_alias
# filter would confuse them, exact matching must not.
ALIASES = ("acme", "acme-prod", "acme-prod-eu", "prod", "acme-dev", "cme-pro")
NEAR_MISSES = tuple(v for n in NAMES for v in (f" {n}", n.upper(), f"{n}-x", n[:-1]))
ANY_TEXT = "<any text>"  # decoded into one more draw: arbitrary text

ANY_ROLE = (Role.USER,) * 5 + (Role.OWNER,) * 2 + (Role.PLATFORM_ADMIN,)
CUSTOMERS = (Role.USER,) * 2 + (Role.OWNER,)
# Ready for identity's `email_verified`: decode_user() draws it as soon as User has the field.
EMAIL_VERIFIED = (True, True, False)
SEEDS = st.integers(min_value=0, max_value=2**64 - 1)


class Choices:
    """Successive uniform choices, reproducible from one seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def pick(self, options: Sequence[T]) -> T:
        return options[self._random.randrange(len(options))]


def case_variant(c: Choices, text: str) -> str:
    return c.pick([text, text.upper(), text.title(), text.swapcase()])


def pad_variant(c: Choices, text: str) -> str:
    return c.pick([f" {text}", f"{text}  ", f"\t{text} "])


def entry_for(c: Choices, person: Person) -> str | None:
    """How an operator listed this person in spec.users, or None (half the time: not listed)."""
    how = c.pick(["no"] * 6 + ["email", "email-case", "sub", "sub-case", "padded-email", "padded-sub"])
    if how == "no":
        return None
    if how == "email":
        return person.email
    if how == "email-case":
        return case_variant(c, person.email)
    if how == "sub":
        return person.sub
    if how == "sub-case":
        return case_variant(c, person.sub)  # another sub, unless the case came out unchanged
    if how == "padded-email":
        return pad_variant(c, case_variant(c, person.email))
    return pad_variant(c, person.sub)


def decode_tenants(c: Choices) -> list[Tenant]:
    """One to seven tenants, mostly of the home org, each on its org's one team."""
    names = [name for name in NAMES if c.pick([True, True, True, False, False])] or [c.pick(NAMES)]
    taken: dict[str, set[str]] = {}
    tenants = []
    for name in names:
        org = c.pick([HOME] * 4 + [OTHER, "initech"])
        team = c.pick([TEAM[org]] * 5 + [None])  # a tenant not yet set up, now and then
        aliases = taken.setdefault(team or "", set())
        alias = c.pick([a for a in (name, *ALIASES) if a not in aliases] + [None, None])
        if alias is not None:
            aliases.add(alias)  # one alias per tenant key within a team (the operator's invariant)
        users = [entry for person in PEOPLE if (entry := entry_for(c, person)) is not None]
        junk = c.pick([None, None, "", "   ", "nobody@acme.example", "sub-nobody"])
        users += [junk] if junk is not None else []
        display = c.pick([name.replace("-", " ").title(), name.upper(), f" {name.title()} "])
        tenants.append(Tenant(name, org, display, tuple(users), team, alias))
    return tenants


def decode_user(c: Choices, roles: Sequence[Role], tenants: Sequence[Tenant]) -> User:
    """Mostly someone the tenants list, of the home org; sometimes an empty, missing or padded org."""
    entries = {entry.strip().lower() for tenant in tenants for entry in tenant.users}
    listed = [p for p in PEOPLE if p.email in entries or p.sub.lower() in entries]
    person = c.pick(listed * 3 + list(PEOPLE))
    email = c.pick([person.email] * 3 + [person.email.upper(), f" {person.email} ", None, ""])
    sub = c.pick([person.sub] * 3 + [""])
    org = c.pick([HOME] * 8 + [OTHER, "", None, f" {HOME}", HOME.upper()])
    role = c.pick(roles)
    extra = {"email_verified": c.pick(EMAIL_VERIFIED)} if HAS_EMAIL_VERIFIED else {}
    return User(sub=sub, email=email, name="someone", org=org, role=role, **extra)


@dataclass(frozen=True)
class World:
    user: User
    tenants: list[Tenant]
    request: UsageRequest
    kind: str  # what the request's tenant names: default, visible, invisible, absent


@st.composite
def worlds(draw: st.DrawFn, roles: Sequence[Role] = ANY_ROLE, *, team_request: bool = False) -> World:
    """One world from one seed (one more draw when a choice asks for arbitrary text)."""
    c = Choices(draw(SEEDS))

    def text(choice: str | None) -> str | None:
        return draw(st.text(min_size=1, max_size=12)) if choice == ANY_TEXT else choice

    tenants = decode_tenants(c)
    user = decode_user(c, roles, tenants)
    visible = [t.name for t in tenants if oracle_sees(user, t)]
    invisible = [t.name for t in tenants if not oracle_sees(user, t)]
    kind = c.pick(
        ["default", "absent"] + ["visible"] * bool(visible) * 2 + ["invisible"] * bool(invisible) * 2
    )
    tenant: str | None
    if kind == "default":
        tenant = c.pick([None, ""])
    elif kind in ("visible", "invisible"):
        tenant = c.pick(visible if kind == "visible" else invisible)
    else:  # a name nobody has: a near miss of a real one (padded, cased, cut), or any text
        tenant = text(c.pick([*NEAR_MISSES, "zz-nowhere", ANY_TEXT, ANY_TEXT]))
        if tenant in {t.name for t in tenants}:
            tenant = "zz-nowhere"
    if team_request:  # a platform admin's ?team= (and maybe ?key_alias=): any team, any alias
        team = text(c.pick([*TEAM.values(), "team-unknown", " ", ANY_TEXT, ANY_TEXT]))
        alias = text(c.pick([None, None, *ALIASES, "", ANY_TEXT, ANY_TEXT]))
    else:
        team = c.pick([None] * 6 + [*TEAM.values(), "team-unknown", " "])
        alias = c.pick([None] * 4 + [*ALIASES, ""])
    return World(user, tenants, UsageRequest(tenant=tenant, team=team, key_alias=alias), kind)


# -- what ran: the key branches, for hypothesis.event and the frequency check ---------------------


def branches(world: World, got: Resolution) -> list[str]:
    user, tenants, request = world.user, world.tenants, world.request
    seen = [t for t in tenants if oracle_sees(user, t)]
    hidden = [t for t in tenants if not oracle_sees(user, t)]
    out = [f"role: {user.role.value}", f"outcome: {got.outcome.value}", f"request names: {world.kind}"]
    assigned = [t for t in seen if user.role is Role.USER and oracle_listed(user, t)]
    if assigned:
        out.append("member assigned to a tenant")
    if any(user.email not in t.users for t in assigned):
        out.append("member matched by email in another case or padding, or by sub")
    if any(h.team_id and h.team_id in {s.team_id for s in seen} for h in hidden):
        out.append("invisible tenant on the team of a visible one")
    if any(
        a.team_id == b.team_id
        and a.key_alias
        and b.key_alias
        and a.key_alias != b.key_alias
        and a.key_alias in b.key_alias
        for a in tenants
        for b in tenants
    ):
        out.append("aliases on one team that are prefixes or substrings of each other")
    if any(e != e.strip() for t in tenants for e in t.users) or (request.tenant or "").strip() != (
        request.tenant or ""
    ):
        out.append("padded whitespace")
    if not user.org:
        out.append("empty or missing org")
    if user.email and any(
        e.strip().lower() == user.email.strip().lower() and e.strip() != user.email.strip()
        for t in tenants
        for e in t.users
    ):
        out.append("emails that differ only in case")
    if HAS_EMAIL_VERIFIED and not getattr(user, "email_verified", True):
        out.append("unverified email")
    if got.scope is not None and got.scope.key_alias is None:
        out.append("company-wide scope")
    if user.role is Role.PLATFORM_ADMIN and request.team:
        out.append("platform admin asks for a team")
    if got.ignored:
        out.append("team/key_alias ignored")
    return out


def record(world: World, got: Resolution) -> None:
    for branch in branches(world, got):
        event(branch)


# -- the properties ------------------------------------------------------------------------------------


@cases("named")
@given(world=worlds())
def test_every_tenant_a_resolution_names_is_visible(world: World) -> None:
    """Outcome, tenant, scope, label and reason name only what the user may see, exactly as designed."""
    user, tenants, request = world.user, world.tenants, world.request
    got = resolve(user, tenants, request)
    record(world, got)
    by_name = {t.name: t for t in tenants}

    if user.role is Role.PLATFORM_ADMIN and request.team:
        assert got.outcome is Outcome.SCOPE and got.scope is not None and got.tenant is None
        assert (got.scope.team_id, got.scope.key_alias) == (request.team, request.key_alias or None)
        return

    # Every tenant the answer names is one the oracle lets this user see.
    named = [t for t in (got.tenant, by_name.get(got.scope.tenant or "") if got.scope else None) if t]
    assert all(oracle_sees(user, t) for t in named)
    if got.scope is not None:
        assert got.tenant is not None and got.scope.tenant == got.tenant.name
        expected = oracle_shows(user, got.tenant)
        assert (got.outcome, got.scope.team_id, got.scope.key_alias) == (
            expected.outcome,
            expected.team_id,
            expected.key_alias,
        )
        assert got.scope.label in (got.tenant.display_name, f"{got.tenant.display_name} (company-wide)")
        if user.role is Role.USER:
            assert not got.scope.company_wide
        if got.scope.company_wide:  # the team total covers only tenants the user may see
            assert all(oracle_sees(user, t) for t in tenants if t.team_id == got.scope.team_id)
        else:  # exact alias: no tenant the user may not see shares it on that team
            assert not any(
                t.team_id == got.scope.team_id and t.key_alias == got.scope.key_alias
                for t in tenants
                if not oracle_sees(user, t)
            )

    # The outcome the design gives for what was asked.
    visible = [t for t in tenants if oracle_sees(user, t)]
    if request.tenant:
        target = by_name.get(request.tenant)
        if target is None or not oracle_sees(user, target):
            assert (got.outcome, got.reason, got.tenant) == (
                Outcome.NOT_FOUND,
                f"Tenant {request.tenant!r} was not found.",
                None,
            )
        else:
            assert got.tenant == target and got.outcome is oracle_shows(user, target).outcome
    elif not visible:
        assert got.outcome is Outcome.NO_TENANT and got.tenant is None
    else:
        assert got.tenant in visible
        showable = [t for t in visible if oracle_shows(user, t).outcome is Outcome.SCOPE]
        assert got.outcome is (Outcome.SCOPE if showable else Outcome.NOT_AVAILABLE)

    # No text of the answer names a tenant the user may not see (the echo of their own request aside).
    allowed = [repr(request.tenant)] if got.outcome is Outcome.NOT_FOUND else []
    allowed += [got.tenant.display_name] if got.tenant else []
    for text in (got.reason, got.scope.label if got.scope else ""):
        residue = text
        for fragment in sorted(allowed, key=len, reverse=True):
            residue = residue.replace(fragment, "\0")
        for hidden in (t for t in tenants if not oracle_sees(user, t)):
            for name in {hidden.name, hidden.display_name.strip()}:
                assert name not in residue, (name, text)


def _masked(got: Resolution, name: str | None) -> Resolution:
    return replace(got, reason=got.reason.replace(repr(name), "<name>"))


# A tenant of an org nobody generated belongs to no customer here; it lists everyone and reuses a
# home alias, so only the org check keeps it out.
STRANGER = Tenant(
    "stranger", "umbrella", "Umbrella", tuple(p.email for p in PEOPLE), "team-umbrella", "acme-prod"
)


@cases("invisible")
@given(world=worlds(CUSTOMERS))
def test_an_invisible_tenant_answers_exactly_like_a_nonexistent_one(world: World) -> None:
    """Same outcome, reason (the echoed name aside), scope and ignored params: a name never leaks."""
    user, request = world.user, world.request
    tenants = [*world.tenants, STRANGER]
    nowhere = [
        _masked(resolve(user, tenants, replace(request, tenant=absent)), absent)
        for absent in ("zz-nowhere", "tenant-that-never-was")
    ]
    assert nowhere[0] == nowhere[1] and nowhere[0].outcome is Outcome.NOT_FOUND
    hidden = [t.name for t in tenants if not oracle_sees(user, t)]
    for name in hidden:
        assert _masked(resolve(user, tenants, replace(request, tenant=name)), name) == nowhere[0]
    asked = replace(request, tenant=hidden[0])
    record(World(user, tenants, asked, "invisible"), resolve(user, tenants, asked))


@cases("visible")
@given(world=worlds())
def test_visible_tenants_are_exactly_the_oracles(world: World) -> None:
    user, tenants = world.user, world.tenants
    got = visible_tenants(user, tenants)
    record(world, resolve(user, tenants, world.request))
    assert sorted(t.name for t in got) == sorted(t.name for t in tenants if oracle_sees(user, t))
    assert got == sorted(got, key=lambda t: (t.display_name.lower(), t.name))


@cases("admin_team")
@given(world=worlds([Role.PLATFORM_ADMIN], team_request=True))
def test_a_platform_admins_team_request_resolves_to_that_team(world: World) -> None:
    team, alias = world.request.team, world.request.key_alias
    got = resolve(world.user, world.tenants, world.request)
    record(world, got)
    assert team and got.outcome is Outcome.SCOPE and got.scope is not None and got.tenant is None
    assert (got.scope.team_id, got.scope.key_alias) == (team, alias or None)
    assert got.scope.company_wide is (not alias) and got.ignored == ()


# -- the generators themselves ------------------------------------------------------------------------

# Each interesting case must show up in at least this share of generated worlds.
COMMON = {
    "member assigned to a tenant": 0.15,
    "member matched by email in another case or padding, or by sub": 0.12,
    "invisible tenant on the team of a visible one": 0.12,
    "aliases on one team that are prefixes or substrings of each other": 0.25,
    "padded whitespace": 0.25,
    "empty or missing org": 0.12,
    "emails that differ only in case": 0.15,
    "request names: visible": 0.15,
    "request names: invisible": 0.15,
    "request names: absent": 0.15,
    "request names: default": 0.15,
    "company-wide scope": 0.04,
    **({"unverified email": 0.15} if HAS_EMAIL_VERIFIED else {}),
}


def test_interesting_cases_are_common() -> None:
    seen: Counter[str] = Counter()
    drawn = [0]

    @cases("common", derandomize=True, database=None)
    @given(world=worlds())
    def draw(world: World) -> None:
        drawn[0] += 1
        got = resolve(world.user, world.tenants, world.request)
        seen.update(set(branches(world, got)))
        record(world, got)

    draw()
    assert drawn[0] >= EXAMPLES["common"] * 0.95
    shares = {branch: seen[branch] / drawn[0] for branch in COMMON}
    assert all(shares[b] >= minimum for b, minimum in COMMON.items()), shares
