"""A link to one view (a page and its query), carried across a sign-in as one short, validated string.

Streamlit's OIDC callback always returns to the app's root, so the view a signed-out person opened
is written down before the login and resumed after it. The string comes back from the browser: it is
parsed as untrusted input, and only a known page and the view's own parameters survive.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode

LINK_PARAMS = ("tenant", "month", "team", "key_alias")
MAX_LENGTH = 2048  # a cookie holds about 4 KB; a longer link is not worth carrying
_PAGE = re.compile(r"[a-z0-9_-]{0,64}")


@dataclass(frozen=True)
class DeepLink:
    """A page's url path ('' for the default page) and the view's query parameters."""

    page: str
    params: tuple[tuple[str, str], ...]

    def encode(self) -> str:
        """The link as one cookie-safe string."""
        return quote(f"{self.page}?{urlencode(self.params)}", safe="")

    @property
    def query(self) -> dict[str, str]:
        """The parameters as st.query_params takes them."""
        return dict(self.params)


def deep_link(page: str, params: Mapping[str, object], pages: Collection[str]) -> DeepLink | None:
    """The link worth carrying for a view, or None when it is just the default page."""
    if page not in pages or not _PAGE.fullmatch(page):
        page = ""
    kept = tuple(
        (name, value)
        for name in LINK_PARAMS
        if isinstance(value := params.get(name), str) and value.strip() and len(value) <= MAX_LENGTH
    )
    if not page and not kept:
        return None
    link = DeepLink(page, kept)
    return link if len(link.encode()) <= MAX_LENGTH else None


def parse(encoded: object, pages: Collection[str]) -> DeepLink | None:
    """The link an encoded string names, or None when it is missing or not one of ours."""
    if not isinstance(encoded, str) or not encoded or len(encoded) > MAX_LENGTH:
        return None
    page, separator, query = unquote(encoded).partition("?")
    if not separator:
        return None
    return deep_link(page, dict(parse_qsl(query, keep_blank_values=False)), pages)
