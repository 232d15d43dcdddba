"""Access rules: one commented table of who may see what, then properties over generated worlds."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_core.access import (
    NO_ACTIVE_TENANT,
    Outcome,
    Resolution,
    Scope,
    UsageRequest,
    can_see,
    resolve,
    tenant_scope,
    visible_tenants,
)
from usage_core.identity import Role, User
from usage_core.tenants import Tenant

# Two orgs. Acme has one LiteLLM team (t-acme) shared by four tenants; Globex has its own team.
TENANTS = (
    Tenant(
        "acme-prod",
        "acme",
        "Acme Production",
        ("alice@acme.example", "gina@globex.example"),
        "t-acme",
        "acme-prod",
    ),
    # Listed with odd case on purpose: built directly, not through the file parser.
    Tenant("acme-dev", "acme", "Acme Development", ("Bob@Acme.Example", "sub-carol"), "t-acme", "acme-dev"),
    Tenant("acme-new", "acme", "Acme New", ("alice@acme.example", "nina@acme.example"), "t-acme", None),
    Tenant("acme-pending", "acme", "Acme Pending", ("alice@acme.example",), None, None),
    Tenant("globex-main", "globex", "Globex Main", ("gina@globex.example",), "t-globex", "globex-main"),
)
BY_NAME = {t.name: t for t in TENANTS}

USERS = {
    # user-role members of acme
    "alice": User("sub-alice", "Alice@ACME.example", "Alice", "acme", Role.USER),  # email, any case
    "bob": User("sub-bob", "bob@acme.example", "Bob", "acme", Role.USER),
    "carol": User("sub-carol", None, "Carol", "acme", Role.USER),  # matched by sub, no email
    "dave": User("sub-dave", "dave@acme.example", "Dave", "acme", Role.USER),  # assigned nowhere
    "nina": User("sub-nina", "nina@acme.example", "Nina", "acme", Role.USER),  # only a tenant w/o alias
    "gina": User("sub-gina", "gina@globex.example", "Gina", "globex", Role.USER),
    # alice's address, but the token carries no org
    "orgless": User("sub-x", "alice@acme.example", "X", None, Role.USER),
    # owners
    "olga": User("sub-olga", "olga@acme.example", "Olga", "acme", Role.OWNER),
    "gus": User("sub-gus", "gus@globex.example", "Gus", "globex", Role.OWNER),
    "owner-no-org": User("sub-o", "o@acme.example", "O", None, Role.OWNER),
    # a platform admin, who belongs to no customer org
    "adam": User("sub-adam", "adam@platform.example", "Adam", None, Role.PLATFORM_ADMIN),
}

OWN_ALIAS = "the tenant's own key alias"
NOT_FOUND = "was not found"
NOT_YET = "not available yet"
ADMIN_TEAM = "platform admins may choose any team"


@dataclass(frozen=True)
class Case:
    """One row: who asks for what, and the outcome, scope (team, alias) and reason they get."""

    who: str
    tenant: str | None
    outcome: Outcome
    scope: tuple[str, str | None] | None
    reason: str
    team: str | None = None
    key_alias: str | None = None
    ignored: tuple[str, ...] = ()
    resolved_tenant: str | None = None  # when it differs from `tenant` (defaults, ignored params)


C = Case
S, NF, NA, NT = Outcome.SCOPE, Outcome.NOT_FOUND, Outcome.NOT_AVAILABLE, Outcome.NO_TENANT

TABLE = [
    # --- user-role member: only tenants whose spec.users lists them -------------------------------
    # Own tenant: its own key alias, never the team.
    C("alice", "acme-prod", S, ("t-acme", "acme-prod"), OWN_ALIAS),
    # Sibling tenant in the same org, not assigned: answered as if it did not exist.
    C("alice", "acme-dev", NF, None, NOT_FOUND),
    # Another org's tenant: the same.
    C("alice", "globex-main", NF, None, NOT_FOUND),
    # A name nobody has.
    C("alice", "no-such-tenant", NF, None, NOT_FOUND),
    # Assigned tenant without a key alias yet: no company-wide fallback for members (sibling leak).
    C("alice", "acme-new", NA, None, NOT_YET),
    # Assigned tenant without a team id yet: nothing to show.
    C("alice", "acme-pending", NA, None, NOT_YET),
    # Default: sorted by display name, the first visible tenant that has usage (skips new/pending).
    C("alice", None, S, ("t-acme", "acme-prod"), OWN_ALIAS, resolved_tenant="acme-prod"),
    # A customer's team/key_alias are ignored (and reported): still only the default own tenant.
    C(
        "alice",
        None,
        S,
        ("t-acme", "acme-prod"),
        OWN_ALIAS,
        team="t-globex",
        key_alias="globex-main",
        ignored=("team", "key_alias"),
        resolved_tenant="acme-prod",
    ),
    # ... and ignored alongside a tenant: the sibling's alias does not replace the tenant's own.
    C(
        "alice",
        "acme-prod",
        S,
        ("t-acme", "acme-prod"),
        OWN_ALIAS,
        team="t-acme",
        key_alias="acme-dev",
        ignored=("team", "key_alias"),
    ),
    # ... and they do not make an invisible tenant visible.
    C("alice", "acme-dev", NF, None, NOT_FOUND, key_alias="acme-dev", ignored=("key_alias",)),
    # Matched by email ignoring case on both sides (tenant lists "Bob@Acme.Example").
    C("bob", "acme-dev", S, ("t-acme", "acme-dev"), OWN_ALIAS),
    # Matched by sub when the token has no email.
    C("carol", "acme-dev", S, ("t-acme", "acme-dev"), OWN_ALIAS),
    C("carol", "acme-prod", NF, None, NOT_FOUND),
    C("carol", None, S, ("t-acme", "acme-dev"), OWN_ALIAS, resolved_tenant="acme-dev"),
    # Unassigned member of the org: sees nothing, and the default says so.
    C("dave", None, NT, None, NO_ACTIVE_TENANT),
    C("dave", "acme-prod", NF, None, NOT_FOUND),
    # A member whose only tenant has no alias yet: the default is that tenant, "not available yet".
    C("nina", None, NA, None, NOT_YET, resolved_tenant="acme-new"),
    # Listed in another org's tenant (a mis-entry): the org check still wins.
    C("gina", "acme-prod", NF, None, NOT_FOUND),
    C("gina", "globex-main", S, ("t-globex", "globex-main"), OWN_ALIAS),
    # No org in the token: nothing, even for a listed email.
    C("orgless", "acme-prod", NF, None, NOT_FOUND),
    C("orgless", None, NT, None, NO_ACTIVE_TENANT),
    # --- owner: every tenant of their org -------------------------------------------------------
    C("olga", "acme-prod", S, ("t-acme", "acme-prod"), OWN_ALIAS),
    # Sibling tenant in the same org: visible to the owner.
    C("olga", "acme-dev", S, ("t-acme", "acme-dev"), OWN_ALIAS),
    C("olga", "globex-main", NF, None, NOT_FOUND),
    C("olga", "no-such-tenant", NF, None, NOT_FOUND),
    # Missing alias: the team total, labelled company-wide.
    C("olga", "acme-new", S, ("t-acme", None), "company-wide"),
    # Missing team id: nothing to show, even for an owner.
    C("olga", "acme-pending", NA, None, NOT_YET),
    # Default: first by display name ("Acme Development").
    C("olga", None, S, ("t-acme", "acme-dev"), OWN_ALIAS, resolved_tenant="acme-dev"),
    # Team/key_alias are for admins only: ignored, the owner's default applies.
    C(
        "olga",
        None,
        S,
        ("t-acme", "acme-dev"),
        OWN_ALIAS,
        team="t-globex",
        key_alias="globex-main",
        ignored=("team", "key_alias"),
        resolved_tenant="acme-dev",
    ),
    C("olga", "acme-new", S, ("t-acme", None), "company-wide", team="t-globex", ignored=("team",)),
    C("gus", "globex-main", S, ("t-globex", "globex-main"), OWN_ALIAS),
    C("gus", "acme-new", NF, None, NOT_FOUND),
    # An owner without an org sees nothing.
    C("owner-no-org", None, NT, None, NO_ACTIVE_TENANT),
    C("owner-no-org", "acme-prod", NF, None, NOT_FOUND),
    # --- platform admin: every tenant, and any team -------------------------------------------
    C("adam", "acme-prod", S, ("t-acme", "acme-prod"), OWN_ALIAS),
    C("adam", "acme-dev", S, ("t-acme", "acme-dev"), OWN_ALIAS),
    C("adam", "globex-main", S, ("t-globex", "globex-main"), OWN_ALIAS),
    C("adam", "acme-new", S, ("t-acme", None), "company-wide"),
    C("adam", "acme-pending", NA, None, NOT_YET),
    C("adam", "no-such-tenant", NF, None, NOT_FOUND),
    C("adam", None, S, ("t-acme", "acme-dev"), OWN_ALIAS, resolved_tenant="acme-dev"),
    # Any team with one key alias, tenant or not.
    C("adam", None, S, ("t-globex", "globex-main"), ADMIN_TEAM, team="t-globex", key_alias="globex-main"),
    # Any team, whole: company-wide.
    C("adam", None, S, ("t-other", None), ADMIN_TEAM, team="t-other"),
    # A team wins over a tenant.
    C("adam", "acme-prod", S, ("t-globex", None), ADMIN_TEAM, team="t-globex"),
    # A key alias without a team means nothing: ignored, the default applies.
    C(
        "adam",
        None,
        S,
        ("t-acme", "acme-dev"),
        OWN_ALIAS,
        key_alias="globex-main",
        ignored=("key_alias",),
        resolved_tenant="acme-dev",
    ),
]


def _case_id(case: Case) -> str:
    extras = "".join(f"+{k}" for k, v in (("team", case.team), ("alias", case.key_alias)) if v)
    return f"{case.who}->{case.tenant or 'default'}{extras}"


@pytest.mark.parametrize("case", TABLE, ids=_case_id)
def test_access_table(case: Case) -> None:
    """Each row of the table resolves to its outcome, scope and reason."""
    request = UsageRequest(tenant=case.tenant, team=case.team, key_alias=case.key_alias)
    got = resolve(USERS[case.who], TENANTS, request)

    assert got.outcome is case.outcome
    assert case.reason in got.reason
    assert got.ignored == case.ignored
    if case.scope is None:
        assert got.scope is None
    else:
        assert got.scope is not None
        assert (got.scope.team_id, got.scope.key_alias) == case.scope
        assert got.scope.company_wide is (case.scope[1] is None)
        if got.scope.company_wide:
            assert "company-wide" in got.scope.label
    expected_tenant = case.resolved_tenant or case.tenant
    if case.team and USERS[case.who].is_platform_admin:
        assert got.tenant is None and got.scope is not None and got.scope.tenant is None
    elif case.outcome in (S, NA):
        assert got.tenant == BY_NAME[expected_tenant or ""]
        if got.scope is not None:
            assert got.scope.tenant == got.tenant.name
    else:
        assert got.tenant is None


def test_table_covers_every_role_and_outcome() -> None:
    """The table is not lopsided: every role meets every outcome it can have."""
    seen = {(USERS[c.who].role, c.outcome) for c in TABLE}
    for role in Role:
        for outcome in (S, NF, NA, NT):
            if role is Role.PLATFORM_ADMIN and outcome is NT:
                continue  # an admin sees every tenant; tested separately with an empty list
            assert (role, outcome) in seen, (role, outcome)


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("alice", ["acme-new", "acme-pending", "acme-prod"]),
        ("bob", ["acme-dev"]),
        ("carol", ["acme-dev"]),
        ("dave", []),
        ("gina", ["globex-main"]),
        ("orgless", []),
        ("olga", ["acme-dev", "acme-new", "acme-pending", "acme-prod"]),
        ("gus", ["globex-main"]),
        ("owner-no-org", []),
        ("adam", ["acme-dev", "acme-new", "acme-pending", "acme-prod", "globex-main"]),
    ],
)
def test_visible_tenants_sorted_by_display_name(who: str, names: list[str]) -> None:
    assert [t.name for t in visible_tenants(USERS[who], TENANTS)] == names


@pytest.mark.parametrize(
    ("who", "tenant", "allowed", "reason"),
    [
        ("alice", "acme-prod", True, "assigned"),
        ("alice", "acme-dev", False, "not assigned"),
        ("alice", "globex-main", False, "another organization"),
        ("orgless", "acme-prod", False, "another organization"),
        ("olga", "acme-dev", True, "owners"),
        ("olga", "globex-main", False, "another organization"),
        ("adam", "globex-main", True, "platform admins"),
    ],
)
def test_can_see_gives_a_reason(who: str, tenant: str, allowed: bool, reason: str) -> None:
    decision = can_see(USERS[who], BY_NAME[tenant])
    assert decision.allowed is allowed
    assert reason in decision.reason


def test_admin_with_no_tenants_at_all_gets_no_tenant() -> None:
    got = resolve(USERS["adam"], [], UsageRequest())
    assert (got.outcome, got.reason, got.scope) == (NT, NO_ACTIVE_TENANT, None)


def _masked(resolution: Resolution, name: str) -> Resolution:
    return replace(resolution, reason=resolution.reason.replace(repr(name), "<name>"))


@pytest.mark.parametrize("who", [w for w, u in USERS.items() if not u.is_platform_admin])
@pytest.mark.parametrize("params", [{}, {"team": "t-acme", "key_alias": "acme-dev"}])
def test_invisible_tenant_answers_exactly_like_a_nonexistent_one(who: str, params: dict[str, str]) -> None:
    """Same outcome, same reason (names substituted), same everything: names do not leak."""
    user = USERS[who]
    invisible = [t.name for t in TENANTS if not can_see(user, t).allowed]
    assert invisible
    missing = "tenant-that-never-existed"
    baseline = _masked(resolve(user, TENANTS, UsageRequest(tenant=missing, **params)), missing)
    assert baseline.outcome is NF
    for name in invisible:
        got = _masked(resolve(user, TENANTS, UsageRequest(tenant=name, **params)), name)
        assert got == baseline
        assert name not in got.reason.replace("<name>", "")


# --- properties over generated worlds -------------------------------------------------------------
# The platform's invariant (the operator makes it so): one LiteLLM team per org, and within a team
# every tenant key has its own alias. Names, users and requests are otherwise arbitrary.

ORGS = ["acme", "globex", "initech"]
NAMES = [f"{org}-{suffix}" for org in ORGS for suffix in ("prod", "dev", "x")]
EMAILS = ["alice@acme.example", "ALICE@acme.example", "bob@globex.example", "Carol@Initech.example"]
SUBS = ["sub-1", "sub-2", "Sub-1", "alice@acme.example"]


@st.composite
def tenant_sets(draw: st.DrawFn) -> list[Tenant]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=len(NAMES)))
    tenants = []
    for name in names:
        org = draw(st.sampled_from(ORGS))
        users = draw(st.lists(st.sampled_from(EMAILS + SUBS), max_size=3))
        team = draw(st.sampled_from([f"team-{org}", None]))
        alias = draw(st.sampled_from([name, f"{name}-key", None]))
        tenants.append(Tenant(name, org, name.upper(), tuple(users), team, alias))
    return tenants


def may_see(user: User, tenant: Tenant) -> bool:
    """DESIGN.md's table, restated independently of the code under test (the properties' oracle)."""
    if user.role is Role.PLATFORM_ADMIN:
        return True
    if user.org is None or user.org != tenant.org_id:
        return False
    if user.role is Role.OWNER:
        return True
    listed = {entry.lower() for entry in tenant.users}
    return (user.sub != "" and user.sub in tenant.users) or (
        user.email is not None and user.email_verified and user.email.lower() in listed
    )


users = st.builds(
    User,
    sub=st.sampled_from([*SUBS, ""]),
    email=st.sampled_from([*EMAILS, None]),
    name=st.just("someone"),
    org=st.sampled_from([*ORGS, None]),
    role=st.sampled_from(list(Role)),
    email_verified=st.booleans(),
)
requests = st.builds(
    UsageRequest,
    tenant=st.one_of(st.none(), st.sampled_from(NAMES), st.text(max_size=12)),
    team=st.one_of(st.none(), st.sampled_from([f"team-{o}" for o in ORGS]), st.text(max_size=6)),
    key_alias=st.one_of(st.none(), st.sampled_from(NAMES), st.text(max_size=6)),
)


@settings(max_examples=400)
@given(user=users, tenants=tenant_sets(), request=requests)
def test_no_customer_obtains_a_scope_of_a_tenant_they_cannot_see(
    user: User, tenants: list[Tenant], request: UsageRequest
) -> None:
    got = resolve(user, tenants, request)
    if user.is_platform_admin:
        return
    visible = [t for t in tenants if may_see(user, t)]
    if got.scope is not None:
        # The scope is exactly that of a visible tenant, the one reported.
        assert got.tenant in visible
        assert got.scope == tenant_scope(user, got.tenant).scope
        # And it covers no tenant the user cannot see.
        pair = (got.scope.team_id, got.scope.key_alias)
        for tenant in tenants:
            if not may_see(user, tenant):
                assert tenant.team_id != pair[0] or (pair[1] is not None and tenant.key_alias != pair[1])
    if user.role is Role.USER:
        assert got.scope is None or not got.scope.company_wide
    # team/key_alias are ignored, and said to be: the answer is the one without them.
    plain = resolve(user, tenants, UsageRequest(tenant=request.tenant))
    assert replace(got, ignored=()) == plain
    assert got.ignored == tuple(n for n, v in (("team", request.team), ("key_alias", request.key_alias)) if v)


@given(user=users, tenants=tenant_sets())
def test_visibility_follows_the_design_table(user: User, tenants: list[Tenant]) -> None:
    expected = [t.name for t in tenants if may_see(user, t)]
    assert sorted(t.name for t in visible_tenants(user, tenants)) == sorted(expected)
    for tenant in tenants:
        assert can_see(user, tenant).allowed is may_see(user, tenant)


@given(user=users, tenants=tenant_sets(), name=st.sampled_from(NAMES))
def test_property_invisible_equals_nonexistent(user: User, tenants: list[Tenant], name: str) -> None:
    target = next((t for t in tenants if t.name == name), None)
    if user.is_platform_admin or (target is not None and may_see(user, target)):
        return
    absent = "zz-nowhere"
    assert all(t.name != absent for t in tenants)
    got = _masked(resolve(user, tenants, UsageRequest(tenant=name)), name)
    assert got == _masked(resolve(user, tenants, UsageRequest(tenant=absent)), absent)


@given(tenants=tenant_sets(), team=st.text(min_size=1, max_size=8), alias=st.none() | st.text(min_size=1))
def test_admins_get_exactly_the_team_and_alias_they_ask_for(
    tenants: list[Tenant], team: str, alias: str | None
) -> None:
    got = resolve(USERS["adam"], tenants, UsageRequest(team=team, key_alias=alias))
    assert got.outcome is S and got.scope is not None
    assert got.scope == Scope(team, alias, got.scope.label)
    assert ("company-wide" in got.scope.label) is (alias is None)


# -- an unverified email matches nothing; the sub still does -------------------------------------------

# who -> the tenant names a member sees (alice@ is listed on acme-prod, acme-new, acme-pending;
# sub-carol on acme-dev)
UNVERIFIED = [
    (User("sub-alice", "alice@acme.example", "Alice", "acme", Role.USER, email_verified=True), 3),
    (User("sub-alice", "alice@acme.example", "Alice", "acme", Role.USER, email_verified=False), 0),
    # someone else's sub does not help, but their own listed sub matches whatever the email says
    (User("sub-carol", "carol@acme.example", "Carol", "acme", Role.USER, email_verified=False), 1),
    (User("sub-carol", "alice@acme.example", "Carol", "acme", Role.USER, email_verified=False), 1),
    # owners and admins do not depend on the email at all
    (User("sub-olga", "olga@acme.example", "Olga", "acme", Role.OWNER, email_verified=False), 4),
    (User("sub-adam", None, "Adam", None, Role.PLATFORM_ADMIN, email_verified=False), 5),
]


@pytest.mark.parametrize(("user", "count"), UNVERIFIED)
def test_an_unverified_email_matches_no_tenant(user: User, count: int) -> None:
    visible = visible_tenants(user, TENANTS)
    assert len(visible) == count
    if user.role is Role.USER and not user.email_verified:
        assert all(user.sub in t.users for t in visible)
