"""Deep links carried across sign-in: only a known page and the view's own parameters survive."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from usage_core.deep_link import LINK_PARAMS, MAX_LENGTH, DeepLink, deep_link, parse

PAGES = ("usage", "admin")


@pytest.mark.parametrize(
    ("page", "params", "expected"),
    [
        # the default page with nothing asked for: nothing to carry
        ("", {}, None),
        ("usage", {}, DeepLink("usage", ())),
        (
            "",
            {"tenant": "acme-dev", "month": "2026-09"},
            DeepLink("", (("tenant", "acme-dev"), ("month", "2026-09"))),
        ),
        # parameters keep the view's own order, whatever order the URL had
        (
            "admin",
            {"month": "2026-10", "key_alias": "globex-web", "team": "team-globex"},
            DeepLink("admin", (("month", "2026-10"), ("team", "team-globex"), ("key_alias", "globex-web"))),
        ),
        # unknown parameters and blank values are dropped
        ("", {"tenant": "a", "utm_source": "mail", "month": "  "}, DeepLink("", (("tenant", "a"),))),
        # an unknown page falls back to the default page, its view's parameters kept
        ("evil", {"tenant": "a"}, DeepLink("", (("tenant", "a"),))),
        ("../admin", {}, None),
        # values that are not strings (a repeated parameter parsed as a list) are dropped
        ("usage", {"tenant": ["a", "b"]}, DeepLink("usage", ())),
    ],
)
def test_deep_link_keeps_only_a_known_page_and_view_parameters(
    page: str, params: dict[str, object], expected: DeepLink | None
) -> None:
    assert deep_link(page, params, PAGES) == expected


@pytest.mark.parametrize(
    "encoded",
    [None, "", 42, "no-question-mark", "x" * (MAX_LENGTH + 1), "%ZZ", "?", "?utm_source=x"],
)
def test_parse_refuses_what_is_not_a_link_of_ours(encoded: object) -> None:
    assert parse(encoded, PAGES) is None


def test_parse_reads_what_encode_wrote() -> None:
    link = DeepLink("admin", (("month", "2026-10"), ("team", "t 1&x=2"), ("key_alias", "a/b?c")))
    assert parse(link.encode(), PAGES) == link
    assert link.query == {"month": "2026-10", "team": "t 1&x=2", "key_alias": "a/b?c"}


def test_a_page_this_user_lacks_lands_on_the_default_page() -> None:
    """A member who follows an admin's link is resumed on their own default page, with the link's view."""
    encoded = DeepLink("admin", (("team", "team-globex"),)).encode()
    assert parse(encoded, ("usage",)) == DeepLink("", (("team", "team-globex"),))


def test_too_long_a_link_is_not_carried() -> None:
    assert deep_link("usage", {"tenant": "x" * MAX_LENGTH}, PAGES) is None


texts = st.text(max_size=80)


@given(
    page=st.sampled_from(["", *PAGES, "other"]),
    params=st.dictionaries(st.sampled_from([*LINK_PARAMS, "x"]), texts),
)
def test_round_trip_of_any_view(page: str, params: dict[str, str]) -> None:
    link = deep_link(page, params, PAGES)
    if link is not None:
        assert parse(link.encode(), PAGES) == link
        assert link.page in ("", *PAGES)
        assert {name for name, _ in link.params} <= set(LINK_PARAMS)


@settings(deadline=None)
@given(st.text(max_size=300))
def test_parse_of_any_cookie_text_is_safe(encoded: str) -> None:
    link = parse(encoded, PAGES)
    assert link is None or (link.page in ("", *PAGES) and {n for n, _ in link.params} <= set(LINK_PARAMS))
