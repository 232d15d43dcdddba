"""A browser tab without a browser: OIDC sign-in over HTTP, then Streamlit's websocket.

Sign-in is the authorization-code flow a browser follows: open the app's login screen over the
websocket, press its "Log in with ..." button, follow the `auth_redirect` to the provider's
authorize form, submit the persona's `sub`, and let the app's /oauth2callback set its signed
`_streamlit_user` cookie. The session then opens its own websocket with that cookie.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.load_protocol import (
    HEALTH_PATH,
    STREAM_PATH,
    XSRF_COOKIE,
    PageRun,
    rerun_message,
    subprotocols,
)

LOGIN_LABEL = "Log in with"
REFRESH_LABEL = "Refresh"


class SignInError(RuntimeError):
    """The OIDC round trip did not end with the app's auth cookie."""


@dataclass(frozen=True)
class Timed:
    """A page run and how long it took, from sending the BackMsg to its last message."""

    run: PageRun
    seconds: float


class StreamlitTab:
    """One websocket session with the app, with the cookies of one browser profile."""

    def __init__(self, app_url: str, cookies: httpx.Cookies) -> None:
        self.app_url = app_url
        self.cookies = cookies
        self.ws: ClientConnection | None = None
        self.page_script_hash = ""  # "" on a fresh tab: the app's default page
        self.cached_hashes: set[str] = set()
        self.last: PageRun | None = None

    async def open(self) -> None:
        """Connect as a browser does: Origin, the XSRF subprotocol, every cookie of the profile."""
        xsrf = self.cookies.get(XSRF_COOKIE)
        if not xsrf:
            raise SignInError("no XSRF cookie: the health check did not set one")
        header = "; ".join(f"{c.name}={c.value}" for c in self.cookies.jar)
        self.ws = await connect(
            self.app_url.replace("http://", "ws://", 1) + STREAM_PATH,
            origin=self.app_url,  # type: ignore[arg-type]
            subprotocols=subprotocols(xsrf),  # type: ignore[arg-type]
            additional_headers={"Cookie": header},
            max_size=None,
            open_timeout=60,
        )

    async def _read(self, run: PageRun) -> None:
        """Fold messages into `run` until its script run ends."""
        assert self.ws is not None, "open() first"
        while not run.done:
            raw = await self.ws.recv()
            run.add(raw if isinstance(raw, bytes) else raw.encode())

    async def close(self) -> None:
        """Close the websocket (the app then ends the session)."""
        if self.ws is not None:
            await self.ws.close()

    async def run(self, query_string: str, *, press: str | None = None, timeout: float = 60) -> Timed:
        """One page run: send the rerun (pressing the button labelled `press`), read until it ends."""
        assert self.ws is not None, "open() first"
        trigger = None
        if press is not None:
            button = self.last.buttons.get(press) if self.last else None
            if button is None:
                raise LookupError(f"no {press!r} button on the last page")
            trigger = button.id
        url = f"{self.app_url}/?{query_string}" if query_string else f"{self.app_url}/"
        run = PageRun()
        started = time.perf_counter()
        await self.ws.send(
            rerun_message(
                query_string,
                self.page_script_hash,
                trigger=trigger,
                cached_hashes=self.cached_hashes,
                url=url,
            )
        )
        async with asyncio.timeout(timeout):
            await self._read(run)
            if run.signal is not None:  # as a browser does once it has drawn the top: one page, two runs
                signal, run.signal, run.status = run.signal, None, None
                hashes = self.cached_hashes | run.cacheable_hashes
                script = run.page_script_hash or self.page_script_hash
                await self.ws.send(
                    rerun_message(query_string, script, signal=signal, cached_hashes=hashes, url=url)
                )
                await self._read(run)
        seconds = time.perf_counter() - started
        if run.page_script_hash:
            self.page_script_hash = run.page_script_hash
        self.cached_hashes |= run.cacheable_hashes
        self.last = run
        return Timed(run, seconds)


async def sign_in(app_url: str, provider_url: str, sub: str) -> httpx.Cookies:
    """The cookies of a browser profile signed in to the app as `sub` (authorization-code flow)."""
    async with httpx.AsyncClient(timeout=60) as http:
        (await http.get(app_url + HEALTH_PATH)).raise_for_status()  # sets the XSRF cookie
        tab = StreamlitTab(app_url, http.cookies)
        await tab.open()
        try:
            await tab.run("")
            login = next((label for label in tab.last.buttons if label.startswith(LOGIN_LABEL)), None)
            if login is None:
                raise SignInError(f"no login button on the first screen: {sorted(tab.last.buttons)}")
            redirect = (await tab.run("", press=login)).run.auth_redirect
        finally:
            await tab.close()
        if redirect is None:
            raise SignInError("the login button did not redirect")
        # The app sends the browser to the provider (Authlib keeps state and nonce in its session cookie).
        response = await http.get(urljoin(app_url, redirect))
        authorize = response.headers.get("location", "")
        if response.status_code != 302 or not authorize.startswith(provider_url + "/oauth2/authorize"):
            raise SignInError(f"/auth/login answered {response.status_code}, not a redirect to the provider")
        form = await http.get(authorize)
        if form.status_code != 200 or 'name="sub"' not in form.text:
            raise SignInError(f"the provider's authorize page answered {form.status_code} without its form")
        # The form posts back to its own URL; the provider then redirects with a code.
        decided = await http.post(authorize, data={"sub": sub})
        callback = decided.headers.get("location", "")
        if decided.status_code != 302 or not callback.startswith(app_url + "/oauth2callback?code="):
            raise SignInError(f"the provider answered {decided.status_code} without a code for the app")
        done = await http.get(callback)  # the app exchanges the code and sets its signed cookie
        if done.status_code != 302 or "_streamlit_user" not in http.cookies:
            raise SignInError(f"/oauth2callback answered {done.status_code} without the auth cookie")
        return http.cookies
