"""The overviews as tables: change texts, risk labels, links that only lead to our pages, sorts, frames."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile_corpus import KINDS, payload
from usage_core.comparison import Delta
from usage_core.identity import Role, User
from usage_core.litellm import TeamInfo, TeamListing
from usage_core.months import Month
from usage_core.overview import PlatformData, PlatformOverview, Risk, org_overview, platform_overview
from usage_core.overview_table import (
    NOT_AVAILABLE,
    NOT_COMPARED,
    NOTHING_TO_COMPARE,
    ORG_COLUMNS,
    ORG_SORTS,
    PLATFORM_COLUMNS,
    PLATFORM_SORTS,
    delta_text,
    org_frame,
    org_rows,
    page_link,
    platform_frame,
    platform_rows,
    risk_counts,
    risk_label,
    signed_usd,
    team_link,
    tenant_link,
)
from usage_core.reports import TeamSnapshot
from usage_core.tenants import Tenant
from usage_core.usage import Metrics, TeamUsage, UsageSlice

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOV = Month(2026, 11)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4.56, "+$4.56"),
        (-1.2, "-$1.20"),
        (0.0, "$0.00"),
        (1234.5, "+$1,234.50"),
        (0.0012, "+$0.0012"),  # below a cent: four places, so that it does not read as zero
        (-0.0012, "-$0.0012"),
    ],
)
def test_signed_usd(value: float, text: str) -> None:
    assert signed_usd(value) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (Delta(14.0, 10.0), "\u25b2 +40.0% (+$4.00)"),
        (Delta(9.69, 10.0), "\u25bc -3.1% (-$0.31)"),
        (Delta(10.0, 10.0), "no change (0.0%, $0.00)"),
        (Delta(4.56, 0.0), "\u25b2 new (+$4.56 on none last month)"),  # no percentage of nothing
        (Delta(0.0, 0.0), NOTHING_TO_COMPARE),
        (Delta(0.0, 5.0), "\u25bc -100.0% (-$5.00)"),
        (None, NOT_COMPARED),
    ],
)
def test_delta_text(delta: Delta | None, text: str) -> None:
    assert delta_text(delta) == text
    assert not text.startswith(("=", "+", "-", "@"))  # a table's own CSV export takes it as text


@pytest.mark.parametrize(
    ("base", "page", "params", "link"),
    [
        ("", "", {"tenant": "acme-prod", "month": "2026-11"}, "/?tenant=acme-prod&month=2026-11"),
        ("", "admin", {"team": "t 1&x=y", "month": "2026-11"}, "/admin?team=t+1%26x%3Dy&month=2026-11"),
        ("dash", "admin", {"team": "t"}, "/dash/admin?team=t"),  # server.baseUrlPath, however written
        ("/dash/", "", {"tenant": "a"}, "/dash/?tenant=a"),
        ("a/b", "", {"tenant": "a"}, "/a/b/?tenant=a"),
    ],
)
def test_page_link(base: str, page: str, params: dict[str, str], link: str) -> None:
    assert page_link(base, page, params) == link


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_hostile_name_never_chooses_where_a_link_leads(kind: str) -> None:
    name = payload(kind, "hxName")
    for link, path, param in (
        (tenant_link("", name, NOV), "/", "tenant"),
        (team_link("", name, NOV), "/admin", "team"),
    ):
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == ("", "", path)
        assert parse_qs(parts.query, keep_blank_values=True) == {param: [name], "month": ["2026-11"]}


@given(st.text())
def test_any_name_round_trips_through_a_link_to_our_page(name: str) -> None:
    parts = urlsplit(tenant_link("", name, NOV))
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", "/")
    assert parse_qs(parts.query, keep_blank_values=True)["tenant"] == [name]


# -- frames and sorts --------------------------------------------------------------------------------


def _platform() -> PlatformOverview:
    def listing(team_id: str, max_budget: float | None, spend: float) -> TeamListing:
        info = TeamInfo(
            team_id, f"Alias {team_id}", max_budget, spend, "1mo", datetime(2026, 12, 1, tzinfo=UTC), 60, None
        )
        return TeamListing(info, 2)

    def flat(per_day: float) -> dict[date, Metrics]:
        return {date(2026, 11, d): Metrics(10, 5, 15, 2, 2, 0, per_day) for d in range(1, 28)}

    teams = (listing("calm", 1000.0, 100.0), listing("over", 100.0, 150.0), listing("soon", 200.0, 190.0),
             listing("free", None, 0.0))  # fmt: skip
    daily = {"calm": flat(4.0), "over": flat(6.0), "soon": flat(10.0), "free": flat(50.0)}
    previous = {"free": {date(2026, 10, d): Metrics(spend=25.0) for d in range(1, 32)}}
    tenants = (Tenant("x", "o", "X", (), "soon", "a"),)
    return platform_overview(PlatformData(NOV, teams, daily, previous, NOW), tenants, now=NOW)


def test_the_platform_frame_and_its_sorts() -> None:
    overview = _platform()
    frame = platform_frame(overview, overview.rows, "")
    assert tuple(frame.columns) == PLATFORM_COLUMNS
    assert list(frame["team_id"]) == ["over", "soon", "calm", "free"]  # the core's risk order
    assert list(frame["status"]) == ["Over budget", "Runs out at this pace", "Within budget", "No budget"]
    assert list(frame["rank"]) == [1, 2, 3, 4]
    assert frame["open"][0] == "/admin?team=over&month=2026-11"
    assert frame["runs_out_on"][1] == date(2026, 11, 28) and frame["resets_on"][1] == date(2026, 12, 1)
    assert list(frame["tenants"]) == [0, 1, 0, 0] and frame["keys"][0] == 2
    assert frame["change"][3] == "\u25b2 +100.0% (+$675.00)"  # Nov 1-27 at 50 against Oct 1-27 at 25
    assert len(frame["daily_spend"][0]) == 27
    assert risk_counts(overview) == {
        Risk.OVER_BUDGET: 1,
        Risk.RUNS_OUT: 1,
        Risk.WITHIN_BUDGET: 1,
        Risk.NO_BUDGET: 1,
    }
    by_spend = platform_rows(overview, "Spend, highest first")
    assert [r.team_id for r in by_spend] == ["free", "soon", "over", "calm"]
    assert platform_rows(overview, next(iter(PLATFORM_SORTS))) == overview.rows
    assert [risk_label(r) for r in by_spend][:1] == ["No budget"]


def test_the_org_frame_and_its_sorts() -> None:
    tenants = (
        Tenant("a", "acme", '=HYPERLINK("http://x")', ("u@acme.example",), "t1", "alias-a"),
        Tenant("b", "acme", "Bee", ("u@acme.example",), "t1", "alias-b"),
        Tenant("c", "acme", "Pending", ("u@acme.example",), "t1", None),
    )
    day_a, day_b = date(2026, 11, 3), date(2026, 11, 20)
    usage = TeamUsage(
        "t1",
        NOV,
        UsageSlice({day_a: Metrics(100, 10, 110, 10, 9, 1, 4.0), day_b: Metrics(50, 5, 55, 5, 5, 0, 4.0)}),
        {
            "alias-a": UsageSlice({day_a: Metrics(60, 6, 66, 6, 5, 1, 2.0)}),
            "alias-b": UsageSlice({day_b: Metrics(50, 5, 55, 5, 5, 0, 4.0)}),
        },
        "daily_activity",
        NOW,
    )
    previous = TeamUsage(
        "t1", Month(2026, 10), UsageSlice(), {"alias-a": UsageSlice({date(2026, 10, 3): Metrics(spend=1.0)})},
        "daily_activity", NOW,
    )  # fmt: skip
    team = TeamInfo("t1", "Acme", 100.0, 8.0, "1mo", datetime(2026, 12, 1, tzinfo=UTC), None, None)
    owner = User(sub="o", email=None, name="o", org="acme", role=Role.OWNER)
    overview = org_overview(
        owner, tenants, NOV, {"t1": TeamSnapshot(team, (), usage)}, {"t1": previous}, now=NOW
    )

    rows = org_rows(overview, "Spend, highest first")
    frame = org_frame(overview, rows, "")
    assert tuple(frame.columns) == ORG_COLUMNS
    assert list(frame["tenant"]) == ["b", "a", "c"]  # blanks last
    assert list(frame["open"]) == [f"/?tenant={t}&month=2026-11" for t in ("b", "a", "c")]
    assert (
        frame["display_name"][1] == '=HYPERLINK("http://x")'
    )  # outside text as it is: the page makes it a cell
    assert list(frame["change"]) == [
        "\u25b2 new (+$4.00 on none last month)",
        "\u25b2 +100.0% (+$1.00)",
        NOT_AVAILABLE,
    ]
    assert (frame["spend"][1], frame["company_share"][1], frame["failed_share"][1]) == (2.0, 0.25, 1 / 6)
    assert frame["spend"].isna().tolist() == [False, False, True]  # the pending tenant: no figures, not zeros
    assert frame["key_budget_used"].isna().all()  # no key has a budget of its own
    assert len(frame["daily_spend"][0]) == 27 and list(frame["daily_spend"][2]) == []
    assert [r.tenant for r in org_rows(overview, "Name, A to Z")] == ["a", "b", "c"]
    assert set(ORG_SORTS) >= {"Spend, highest first", "Name, A to Z"}
