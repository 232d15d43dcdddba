"""URL parameters -> what a page shows: safe defaults, notices, and a canonical URL (one table)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from usage_core.access import Outcome
from usage_core.identity import Role, User
from usage_core.months import selectable_months
from usage_core.selection import ADMIN_ONLY_IGNORED, ALIAS_NEEDS_TEAM, select, select_month
from usage_core.tenants import Tenant

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
TENANTS = (
    Tenant("acme-prod", "acme", "Acme Production", ("alice@acme.example",), "team-acme", "acme-prod"),
    Tenant("acme-dev", "acme", "Acme Development", ("bob@acme.example",), "team-acme", "acme-dev"),
    Tenant("acme-ml", "acme", "Acme ML", ("alice@acme.example",), "team-acme", None),
    Tenant("globex-web", "globex", "Globex Web", ("gina@globex.example",), "team-globex", "globex-web"),
)
ALICE = User("a", "alice@acme.example", "Alice", "acme", Role.USER)
OWNER = User("o", "olivia@acme.example", "Olivia", "acme", Role.OWNER)
ADMIN = User("p", "pat@platform.example", "Pat", "platform", Role.PLATFORM_ADMIN)
NOBODY = User("n", "nobody@acme.example", "N", "acme", Role.USER)

# who, URL parameters -> outcome, canonical URL, notices (a substring each)
TABLE = [
    # defaults: the first visible tenant that has usage, this month
    (ALICE, {}, Outcome.SCOPE, {"tenant": "acme-prod", "month": "2026-11"}, []),
    (OWNER, {}, Outcome.SCOPE, {"tenant": "acme-dev", "month": "2026-11"}, []),
    # a sibling she is not assigned to, another org's tenant, an unknown one: all alike
    (
        ALICE,
        {"tenant": "acme-dev"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        ["'acme-dev' was not found. Showing Acme Production instead."],
    ),
    (
        ALICE,
        {"tenant": "globex-web"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        ["'globex-web' was not found"],
    ),
    (
        ALICE,
        {"tenant": "nope"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        ["'nope' was not found"],
    ),
    # team / key_alias from a customer: ignored, with a notice
    (
        ALICE,
        {"team": "team-globex", "key_alias": "globex-web"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        [ADMIN_ONLY_IGNORED],
    ),
    (
        OWNER,
        {"key_alias": "acme-prod"},
        Outcome.SCOPE,
        {"tenant": "acme-dev", "month": "2026-11"},
        [ADMIN_ONLY_IGNORED],
    ),
    # a tenant without key alias: members wait, owners see the company-wide total
    (ALICE, {"tenant": "acme-ml"}, Outcome.NOT_AVAILABLE, {"tenant": "acme-ml", "month": "2026-11"}, []),
    (OWNER, {"tenant": "acme-ml"}, Outcome.SCOPE, {"tenant": "acme-ml", "month": "2026-11"}, []),
    # months: valid past, invalid, future, blank
    (ALICE, {"month": "2025-12"}, Outcome.SCOPE, {"tenant": "acme-prod", "month": "2025-12"}, []),
    (
        ALICE,
        {"month": "2026-13"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        ["Showing November 2026 instead."],
    ),
    (
        ALICE,
        {"month": "2026-12"},
        Outcome.SCOPE,
        {"tenant": "acme-prod", "month": "2026-11"},
        ["in the future"],
    ),
    (ALICE, {"month": "  "}, Outcome.SCOPE, {"tenant": "acme-prod", "month": "2026-11"}, []),
    # admins: any team, one key alias, or any tenant; an alias alone means nothing
    (ADMIN, {"team": "team-globex"}, Outcome.SCOPE, {"team": "team-globex", "month": "2026-11"}, []),
    (
        ADMIN,
        {"team": "team-globex", "key_alias": "globex-web"},
        Outcome.SCOPE,
        {"team": "team-globex", "key_alias": "globex-web", "month": "2026-11"},
        [],
    ),
    (ADMIN, {"tenant": "globex-web"}, Outcome.SCOPE, {"tenant": "globex-web", "month": "2026-11"}, []),
    (
        ADMIN,
        {"key_alias": "globex-web"},
        Outcome.SCOPE,
        {"tenant": "acme-dev", "month": "2026-11"},
        [ALIAS_NEEDS_TEAM],
    ),
    # nothing visible: the empty state, and only the month in the URL
    (
        NOBODY,
        {"tenant": "acme-prod"},
        Outcome.NO_TENANT,
        {"month": "2026-11"},
        ["'acme-prod' was not found."],
    ),
]


@pytest.mark.parametrize(("user", "params", "outcome", "canonical", "notices"), TABLE)
def test_selection_table(
    user: User, params: dict[str, str], outcome: Outcome, canonical: dict[str, str], notices: list[str]
) -> None:
    selection = select(user, TENANTS, params, now=NOW)
    assert selection.resolution.outcome is outcome
    assert dict(selection.params) == canonical
    assert len(selection.notices) == len(notices)
    for notice, expected in zip(selection.notices, notices, strict=True):
        assert expected in notice


def visible_names(user: User) -> set[str]:
    if user.role is Role.PLATFORM_ADMIN:
        return {t.name for t in TENANTS}
    if user.role is Role.OWNER:
        return {t.name for t in TENANTS if t.org_id == user.org}
    return {t.name for t in TENANTS if t.org_id == user.org and user.email in t.users}


@given(
    user=st.sampled_from([ALICE, OWNER, NOBODY, User("g", "gina@globex.example", "G", "globex", Role.USER)]),
    params=st.dictionaries(
        st.sampled_from(["tenant", "team", "key_alias", "month", "other"]),
        st.one_of(
            st.sampled_from(
                [t.name for t in TENANTS] + ["team-acme", "team-globex", "globex-web", "2026-01"]
            ),
            st.text(max_size=12),
        ),
    ),
)
def test_no_url_ever_shows_a_customer_anything_outside_their_tenants(
    user: User, params: dict[str, str]
) -> None:
    selection = select(user, TENANTS, params, now=NOW)
    shown = selection.resolution.tenant
    assert shown is None or shown.name in visible_names(user)
    scope = selection.resolution.scope
    if scope is not None:
        assert scope.tenant in visible_names(user)
    assert set(selection.params) <= {"tenant", "month"}
    assert selection.params.get("tenant") in visible_names(user) | {None}


def hidden_words(user: User) -> set[str]:
    """Everything that names a tenant the user may not see: its name, title, team and key alias."""
    hidden = [t for t in TENANTS if t.name not in visible_names(user)]
    return {word for t in hidden for word in (t.name, t.display_name, t.team_id, t.key_alias) if word}


@given(
    user=st.sampled_from([ALICE, OWNER, NOBODY, User("g", "gina@globex.example", "G", "globex", Role.USER)]),
    params=st.dictionaries(
        st.sampled_from(["tenant", "team", "key_alias", "month"]),
        st.one_of(
            st.sampled_from([t.name for t in TENANTS] + ["team-acme", "team-globex", "2019-01", "2026-12"]),
            st.text(max_size=12),
        ),
    ),
)
def test_a_customers_notices_name_only_their_own_input_and_tenants(
    user: User, params: dict[str, str]
) -> None:
    selection = select(user, TENANTS, params, now=NOW)
    said = [*selection.notices, selection.resolution.reason]
    for word in hidden_words(user):
        if any(word in value for value in params.values()):
            continue  # they typed it themselves: echoing it back tells them nothing
        assert not any(word in text for text in said), (word, said)


def test_a_long_tenant_parameter_is_shortened_in_the_notice() -> None:
    selection = select(ALICE, TENANTS, {"tenant": "x" * 5000}, now=NOW)
    (notice,) = selection.notices
    assert len(notice) < 150 and notice.startswith("Tenant 'xxxx") and "...' was not found." in notice


# -- months within the horizon ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "horizon", "shown", "notice"),
    [
        ("2024-12", None, "2024-12", None),  # the default horizon: 24 months, this one included
        ("2024-11", None, "2026-11", "Month 2024-11 is too far back: months from 2024-12 to 2026-11"),
        ("0001-01", None, "2026-11", "years before 1970"),
        ("2026-09", 3, "2026-09", None),
        ("2026-08", 3, "2026-11", "too far back: months from 2026-09 to 2026-11"),
        ("2026-12", 3, "2026-11", "in the future"),
    ],
)
def test_a_month_outside_the_horizon_falls_back_with_a_notice(
    month: str, horizon: int | None, shown: str, notice: str | None
) -> None:
    options = {} if horizon is None else {"horizon": horizon}
    selection = select(ALICE, TENANTS, {"month": month}, now=NOW, **options)
    assert str(selection.month) == selection.params["month"] == shown
    if notice is None:
        assert selection.notices == ()
    else:
        (said,) = selection.notices
        assert notice in said and said.endswith("Showing November 2026 instead.")
    # the overviews read the month alone, with the same answer and notice
    assert select_month({"month": month}, now=NOW, **options) == (selection.month, selection.notices)


MONTHS_AROUND = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1960, 2030), st.integers(0, 13))


@given(st.integers(1, 60), st.text(max_size=8) | MONTHS_AROUND)
def test_the_month_shown_is_always_within_the_horizon(horizon: int, month: str) -> None:
    selection = select(ADMIN, TENANTS, {"month": month}, now=NOW, horizon=horizon)
    assert selection.month in selectable_months(horizon, now=NOW)
    assert select_month({"month": month}, now=NOW, horizon=horizon)[0] == selection.month


def test_the_month_alone_ignores_every_other_parameter() -> None:
    params = {"tenant": "globex-web", "team": "team-globex", "key_alias": "x", "month": "2026-10"}
    assert select_month(params, now=NOW) == (select(ALICE, TENANTS, {"month": "2026-10"}, now=NOW).month, ())
