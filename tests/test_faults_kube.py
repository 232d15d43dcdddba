"""Kubernetes API faults under the tenant watch cache: the official client against the loopback API server.

Each fault ends with the cache current again by itself; meanwhile readers get the last tenants known
(for at most `stale_after_seconds`) and then a clear error, never an empty or half-applied list.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.kube_apiserver import KubeApiServer
from usage_core.errors import TenantSourceError
from usage_core.kube import KubernetesTenantSource, load_api_client
from usage_core.tenants import Tenant

T = TypeVar("T")
RESOURCE = "tenants.platform.example.com"


class FakeClock:
    """The source's clock for staleness; moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def eventually(check: Callable[[], T], timeout: float = 10.0) -> T:
    """Retry an asserting check until it passes (the watch thread works asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def names(tenants: Sequence[Tenant]) -> list[str]:
    return [t.name for t in tenants]


def served_until(source: KubernetesTenantSource, expected: list[str], timeout: float = 10.0) -> int:
    """Read continuously until `expected` shows; every read must succeed. Returns how many reads it took."""
    deadline = time.monotonic() + timeout
    reads = 0
    while True:
        got = names(source.list_tenants())  # a raise here fails the test: readers were refused
        reads += 1
        if got == expected:
            return reads
        assert time.monotonic() < deadline, f"still {got}, expected {expected}"
        time.sleep(0.005)


@pytest.fixture(autouse=True)
def _no_leaked_watch_threads() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 5
    while any(t.name == "tenant-watch" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a tenant-watch thread outlived its test"
        time.sleep(0.01)


@pytest.fixture
def apiserver() -> Iterator[KubeApiServer]:
    with KubeApiServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def source(apiserver: KubeApiServer, tmp_path: Path, clock: FakeClock) -> Iterator[KubernetesTenantSource]:
    """A synced source watching the server, with the 60 s staleness window on the fake clock."""
    apiserver.tenant("a", "acme")
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")
    made = KubernetesTenantSource(
        load_api_client(str(kubeconfig)), clock=clock, stale_after_seconds=60, backoff_seconds=(0.05, 0.2)
    )
    assert names(made.list_tenants()) == ["a"]
    watching(apiserver)
    yield made
    made.close()


def watching(apiserver: KubeApiServer, watches: int = 1) -> None:
    """Wait until the client has opened `watches` watches in all and one is open now."""
    apiserver.wait_for(
        lambda: apiserver.count("watch") >= watches and apiserver.open_watches == 1, timeout=10
    )


def resource_version(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["resourceVersion"])


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "usage_core.kube" and r.levelno >= logging.WARNING
    ]


def test_a_watch_cut_mid_stream_resumes_from_the_last_version_without_loss_or_duplicates(
    apiserver: KubeApiServer, source: KubernetesTenantSource, caplog: pytest.LogCaptureFixture
) -> None:
    b = apiserver.tenant("b", "acme")  # delivered on the first stream
    served_until(source, ["a", "b"])

    with apiserver.frozen_watches():  # the client is cut off: these changes wait for the resumed watch
        apiserver.tenant("c", "acme")
        apiserver.delete("a")
        apiserver.drop_watches()  # the connection breaks: no end of stream, no ERROR event
        watching(apiserver, watches=2)
        assert names(source.list_tenants()) == ["a", "b"]  # the last state known, meanwhile
    served_until(source, ["b", "c"])

    resumed = apiserver.requests("watch")[1]
    assert resumed.query["resourceVersion"] == resource_version(b)  # right after the last event applied
    assert apiserver.sent() == [("ADDED", "b"), ("ADDED", "c"), ("DELETED", "a")]  # each event once
    assert apiserver.count("list") == 1  # resumed, not relisted
    assert source.status().problem is None and warnings(caplog) == []  # routine, not a failure


def test_a_non_410_error_event_relists_while_readers_keep_the_last_tenants(
    apiserver: KubeApiServer, source: KubernetesTenantSource, caplog: pytest.LogCaptureFixture
) -> None:
    with apiserver.frozen_watches():  # "b" reaches the cache only through the relist
        apiserver.tenant("b", "acme")
        apiserver.watch_error(500, "InternalError", "etcdserver: leader changed")
        served_until(source, ["a", "b"])  # no read failed in between

    assert ("ERROR", None) in apiserver.sent()
    assert warnings(caplog) == [f"Kubernetes API: watch {RESOURCE} failed with HTTP 500 InternalError."]
    assert apiserver.count("list") == 2
    watching(apiserver, watches=2)
    assert source.status().problem is None  # recovered: the error is not left behind

    apiserver.tenant("c", "acme")  # and the new watch delivers again
    served_until(source, ["a", "b", "c"])
    assert apiserver.count("list") == 2


def test_410_when_a_watch_opens_relists_and_watches_again(
    apiserver: KubeApiServer, source: KubernetesTenantSource, caplog: pytest.LogCaptureFixture
) -> None:
    apiserver.watch_open_errors.append(410)
    with apiserver.frozen_watches():
        apiserver.tenant("b", "acme")
        apiserver.end_watches()  # the client rewatches from its version: HTTP 410 Gone this time
        served_until(source, ["a", "b"])

    watching(apiserver, watches=3)
    assert [r.status for r in apiserver.requests("watch")] == [200, 410, 200]
    assert apiserver.count("list") == 2
    assert source.status().problem is None and warnings(caplog) == []  # expected: not a failure
    apiserver.tenant("c", "acme")
    served_until(source, ["a", "b", "c"])


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_error_when_a_watch_opens_retries_and_keeps_serving(
    apiserver: KubeApiServer, source: KubernetesTenantSource, status: int
) -> None:
    apiserver.watch_open_errors.extend([status, status])
    apiserver.end_watches()

    watching(apiserver, watches=4)
    assert [r.status for r in apiserver.requests("watch")] == [200, status, status, 200]
    apiserver.tenant("b", "acme")
    served_until(source, ["a", "b"])
    assert source.status().problem is None


def test_an_api_outage_serves_the_last_tenants_for_60_s_then_fails_closed_then_recovers(
    apiserver: KubeApiServer, source: KubernetesTenantSource, clock: FakeClock
) -> None:
    url = apiserver.url
    refused = f"Kubernetes API: cannot reach the API server at {url} (connection refused)."

    with apiserver.outage():
        eventually(lambda: _assert_equal(source.status().problem, refused))
        apiserver.tenant("b", "acme")  # changed while the dashboard cannot see it
        assert names(source.list_tenants()) == ["a"]  # a blip does not blank every page
        clock.advance(59.9)
        assert names(source.list_tenants()) == ["a"]
        clock.advance(0.1)  # 60 s of failing: fail closed, with the reason
        with pytest.raises(TenantSourceError) as caught:
            source.list_tenants()
        assert str(caught.value) == refused
        assert source.status().synced  # the stale list is kept, just not served

    served = eventually(lambda: _assert_names(source, ["a", "b"]))  # back by itself: relisted
    assert names(served) == ["a", "b"] and source.status().problem is None
    watching(apiserver, watches=2)
    apiserver.tenant("c", "acme")
    served_until(source, ["a", "b", "c"])


def test_an_outage_shorter_than_the_window_is_invisible_to_readers(
    apiserver: KubeApiServer, source: KubernetesTenantSource, clock: FakeClock
) -> None:
    with apiserver.outage():
        eventually(lambda: _assert_true("connection refused" in (source.status().problem or "")))
        clock.advance(30)
        assert names(source.list_tenants()) == ["a"]
    served_until(source, ["a"])
    eventually(lambda: _assert_equal(source.status().problem, None))
    clock.advance(60)  # long after: the failure was cleared by the recovery, not merely aged
    assert names(source.list_tenants()) == ["a"]


# -- small helpers for eventually() --------------------------------------------------------------------


def _assert_names(source: KubernetesTenantSource, expected: list[str]) -> Sequence[Tenant]:
    try:
        tenants = source.list_tenants()
    except TenantSourceError as exc:
        raise AssertionError(str(exc)) from None
    assert names(tenants) == expected
    return tenants


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def _assert_true(value: bool) -> None:
    assert value
