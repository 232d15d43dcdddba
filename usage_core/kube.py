"""Tenants from the Kubernetes API: a per-process list-then-watch cache of Tenant custom resources.

One daemon thread lists the Tenants (paginated with `limit`/`continue`), then watches from the list's
resourceVersion, applying ADDED/MODIFIED/DELETED events and BOOKMARKs to an in-memory store. Reads
(`list_tenants`) only take the published snapshot: once synced, a page view costs no API call. The
thread relists on 410 Expired and every `resync_seconds`. When `watch` is forbidden, reads fall back
to a list cached for `poll_ttl_seconds`.

One bad object blocks no one: an object the parser rejects, and every object whose name another
namespace also uses (the name is the id in URLs, so neither can be trusted to be the one a link
means), is left out of the view, logged once, and listed by `skipped()`; the rest keep working.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, cast

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.watch import watch as _watch

from usage_core.config import Settings
from usage_core.errors import ConfigError, TenantSourceError
from usage_core.tenants import SkippedTenant, Tenant, TenantList, log_new_skips, parse_entry, screen

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # a library: the app or CLI decides where logs go

_Key = tuple[str, str]  # (namespace, name)
_CONNECT_TIMEOUT = 10.0
# The client's config loaders and line splitter are untyped; call them through Any.
_kube_config: Any = config
_iter_resp_lines: Any = _watch.iter_resp_lines


class _Next(Enum):
    """What the watch loop does after one watch request ends."""

    REWATCH = "rewatch"
    RELIST = "relist"


class _WatchForbidden(Exception):
    """RBAC allows list but not watch."""


@dataclass(frozen=True)
class KubeSourceStatus:
    """What the cache knows about itself (for diagnostics and tests)."""

    synced: bool
    mode: Literal["watch", "poll"]
    watching: bool
    problem: str | None
    resource_version: str | None


def load_api_client(kubeconfig: str | None = None) -> Any:
    """An ApiClient from the in-cluster service account, else KUBECONFIG (or ~/.kube/config)."""
    configuration = client.Configuration()
    if kubeconfig is None:
        try:
            _kube_config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration)
        except ConfigException:
            pass  # not in a pod (or no service account token): try a kubeconfig
    path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    try:
        _kube_config.load_kube_config(
            config_file=path, client_configuration=configuration, persist_config=False
        )
    except ConfigException as exc:
        raise ConfigError(
            f"TENANT_SOURCE=kubernetes: not running in a cluster, and the kubeconfig {path} is not usable "
            f"({' '.join(str(exc).split())[:200]}); set KUBECONFIG."
        ) from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"TENANT_SOURCE=kubernetes: not running in a cluster, and the kubeconfig {path} cannot be read "
            f"({type(exc).__name__}); set KUBECONFIG."
        ) from None
    return client.ApiClient(configuration)


_SHARED: dict[tuple[object, ...], KubernetesTenantSource] = {}
_SHARED_LOCK = threading.Lock()
_LIVE: weakref.WeakSet[KubernetesTenantSource] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    # Stop watch threads before the interpreter finalizes: a daemon thread still inside an SSL
    # read while the process tears down can abort it (seen as SIGABRT at the CLI's exit).
    for source in list(_LIVE):
        source.close()


class KubernetesTenantSource:
    """Tenant custom resources, listed once and then kept current by a watch (thread-safe)."""

    def __init__(
        self,
        api_client: Any,
        *,
        group: str = "platform.example.com",
        version: str = "v1alpha1",
        plural: str = "tenants",
        namespace: str | None = None,
        label_selector: str | None = None,
        page_size: int = 500,
        resync_seconds: float = 600.0,
        watch_timeout_seconds: int = 300,
        poll_ttl_seconds: float = 30.0,
        stale_after_seconds: float = 60.0,
        sync_timeout_seconds: float = 20.0,
        request_timeout_seconds: float = 30.0,
        backoff_seconds: tuple[float, float] = (0.5, 30.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.group, self.version, self.plural = group, version, plural
        self.namespace = namespace or None
        self.label_selector = label_selector or None
        self.page_size = page_size
        self.resync_seconds = resync_seconds
        self.watch_timeout_seconds = watch_timeout_seconds
        self.poll_ttl_seconds = poll_ttl_seconds
        self.stale_after_seconds = stale_after_seconds
        self.sync_timeout_seconds = sync_timeout_seconds
        self.request_timeout_seconds = request_timeout_seconds
        self.backoff_seconds = backoff_seconds
        self._clock = clock
        self._api_client = api_client
        self._api = client.CustomObjectsApi(api_client)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._poll_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._polling = False
        self._response: Any = None  # the open watch response, shut down by close()
        # Written only by the one thread that syncs (the watcher, or a poller under _poll_lock).
        self._store: dict[_Key, Tenant | SkippedTenant] = {}
        self._rv: str | None = None
        # Published under _lock.
        self._view: tuple[Tenant, ...] | None = None
        self._skipped: tuple[SkippedTenant, ...] = ()
        self._failure: str | None = None
        self._failing_since = 0.0
        self._listed_at = 0.0
        self._shared_key: tuple[object, ...] | None = None
        _LIVE.add(self)

    @classmethod
    def from_settings(cls, settings: Settings) -> KubernetesTenantSource:
        """The process-wide source for these settings (in-cluster config, else KUBECONFIG)."""
        key = (
            settings.tenant_api_group,
            settings.tenant_api_version,
            settings.tenant_plural,
            settings.tenant_namespace,
            os.environ.get("KUBERNETES_SERVICE_HOST"),
            os.environ.get("KUBECONFIG"),
        )
        with _SHARED_LOCK:
            source = _SHARED.get(key)
            if source is None:
                source = cls(
                    load_api_client(),
                    group=settings.tenant_api_group,
                    version=settings.tenant_api_version,
                    plural=settings.tenant_plural,
                    namespace=settings.tenant_namespace,
                )
                source._shared_key = key
                _SHARED[key] = source
            return source

    @property
    def resource(self) -> str:
        """The resource's full name, as RBAC and kubectl spell it (tenants.platform.example.com)."""
        return f"{self.plural}.{self.group}"

    # -- reading ---------------------------------------------------------------------------------

    def list_tenants(self) -> Sequence[Tenant]:
        """Every Tenant, sorted by name, from the cache; raises TenantSourceError with a safe message."""
        self._start()
        if self._polling:
            self._poll_if_due()
        with self._changed:
            ready = self._changed.wait_for(
                lambda: self._closed or self._view is not None or self._failure is not None,
                timeout=self.sync_timeout_seconds,
            )
            if self._closed:
                raise TenantSourceError("Kubernetes tenant source: closed.")
            if not ready:
                raise TenantSourceError(
                    f"Kubernetes API: no answer within {self.sync_timeout_seconds:g} s "
                    f"while listing {self.resource}."
                )
            if self._failure is not None and (
                self._view is None or self._clock() - self._failing_since >= self.stale_after_seconds
            ):
                raise TenantSourceError(self._failure)
            assert self._view is not None
            return self._view

    def skipped(self) -> Sequence[SkippedTenant]:
        """The objects the current view left out, and why, ordered by namespace and name."""
        with self._lock:
            return self._skipped

    def status(self) -> KubeSourceStatus:
        """A consistent snapshot of the cache's state."""
        with self._lock:
            return KubeSourceStatus(
                synced=self._view is not None,
                mode="poll" if self._polling else "watch",
                watching=self._response is not None,
                problem=self._failure,
                resource_version=self._rv,
            )

    def close(self) -> None:
        """Stop the watch thread and release the connections; later reads raise."""
        with self._changed:
            if self._closed:
                return
            self._closed = True
            response, self._response = self._response, None
            self._changed.notify_all()
        self._stop.set()
        if response is not None:
            _shutdown(response)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._api_client.close()
        with _SHARED_LOCK:
            if self._shared_key is not None and _SHARED.get(self._shared_key) is self:
                del _SHARED[self._shared_key]

    # -- the watcher thread ----------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="tenant-watch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        delay = self.backoff_seconds[0]
        relist = True
        while not self._stop.is_set():
            try:
                if relist:
                    self._install(*self._list_all())
                    relist = False
                outcome = self._watch_once()
                resync_due = self._clock() - self._listed_at >= self.resync_seconds
                relist = outcome is _Next.RELIST or resync_due
                delay = self.backoff_seconds[0]
            except _WatchForbidden:
                log.warning(
                    "cannot watch %s: reading tenants with a list cached for %g s instead "
                    "(grant the watch verb to stop polling)",
                    self.resource,
                    self.poll_ttl_seconds,
                )
                self._polling = True  # the thread ends; readers poll from now on
                return
            except TenantSourceError as exc:
                if self._stop.is_set():
                    return
                self._fail(str(exc))
                relist = True
                self._stop.wait(delay * random.uniform(0.8, 1.2))  # jitter: replicas do not retry in step
                delay = min(delay * 2, self.backoff_seconds[1])
            except Exception:  # a bug must not kill the cache silently
                if self._stop.is_set():
                    return
                log.exception("unexpected error in the tenant watch")
                self._fail(f"Kubernetes tenant source: unexpected error reading {self.resource}.")
                relist = True
                self._stop.wait(self.backoff_seconds[1])

    def _watch_once(self) -> _Next:
        """Open one watch from the current resourceVersion and apply its events until it ends."""
        timeout = int(self.watch_timeout_seconds * random.uniform(1.0, 1.5))
        until_resync = self.resync_seconds - (self._clock() - self._listed_at)
        timeout = max(1, min(timeout, int(until_resync) + 1))
        try:
            response = self._call(
                watch=True,
                resource_version=self._rv,
                allow_watch_bookmarks=True,
                timeout_seconds=timeout,
                _preload_content=False,
                _request_timeout=(_CONNECT_TIMEOUT, timeout + self.request_timeout_seconds),
            )
        except ApiException as exc:
            if exc.status == 403:
                raise _WatchForbidden() from None
            if exc.status == 410:
                return _Next.RELIST
            raise TenantSourceError(self._describe(exc, "watch")) from None
        except Exception as exc:
            raise TenantSourceError(self._describe(exc, "watch")) from None
        with self._lock:
            if self._closed:
                _shutdown(response)
                return _Next.REWATCH
            self._response = response
        try:
            return self._consume(response)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if self._stop.is_set():
                return _Next.REWATCH
            # A dropped stream (API server restart, idle proxy): resume from the last version seen.
            log.info("tenant watch stream ended early (%s); resuming", type(exc).__name__)
            self._stop.wait(self.backoff_seconds[0])
            return _Next.REWATCH
        finally:
            with self._lock:
                self._response = None
            response.close()  # never hand a half-read stream back to the pool
            response.release_conn()

    def _consume(self, response: Any) -> _Next:
        for line in _iter_resp_lines(response):
            if self._stop.is_set():
                return _Next.REWATCH
            if not line.strip():
                continue
            event = json.loads(line)
            kind = event.get("type") if isinstance(event, dict) else None
            obj = event.get("object") if isinstance(event, dict) else None
            if not isinstance(obj, dict):
                raise ValueError("watch event without an object")
            if kind == "ERROR":
                if obj.get("code") == 410:  # our resourceVersion was compacted away
                    return _Next.RELIST
                raise TenantSourceError(self._describe_status(obj, "watch"))
            metadata = obj.get("metadata")
            rv = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
            if kind == "BOOKMARK":
                self._rv = rv if isinstance(rv, str) else self._rv
                continue
            key = _key(obj)
            if kind in ("ADDED", "MODIFIED"):
                self._store[key] = self._parse(key, obj)
            elif kind == "DELETED":
                self._store.pop(key, None)
            else:
                continue
            if isinstance(rv, str):
                self._rv = rv
            self._publish()
        return _Next.REWATCH

    # -- listing ---------------------------------------------------------------------------------

    def _list_all(self) -> tuple[dict[_Key, Mapping[str, Any]], str | None]:
        """Every object, page by page; an expired continue token restarts the list (consistency)."""
        objects: dict[_Key, Mapping[str, Any]] = {}
        token: str | None = None
        list_rv: str | None = None
        restarts = 0
        while True:
            try:
                page = self._call(
                    limit=self.page_size,
                    _continue=token,
                    _request_timeout=(_CONNECT_TIMEOUT, self.request_timeout_seconds),
                )
            except ApiException as exc:
                if exc.status == 410 and token is not None and restarts < 3:
                    objects, token, list_rv, restarts = {}, None, None, restarts + 1
                    continue
                raise TenantSourceError(self._describe(exc, "list")) from None
            except Exception as exc:
                raise TenantSourceError(self._describe(exc, "list")) from None
            items, metadata = _page_parts(page)
            if items is None or metadata is None:
                raise TenantSourceError(f"Kubernetes API: the list of {self.resource} is not a List.")
            for obj in items:
                if isinstance(obj, dict):
                    objects[_key(obj)] = obj
            if list_rv is None and isinstance(metadata.get("resourceVersion"), str):
                list_rv = metadata["resourceVersion"]
            token = metadata.get("continue") or None
            if token is None:
                return objects, list_rv

    def _install(self, objects: Mapping[_Key, Mapping[str, Any]], rv: str | None) -> None:
        self._store = {key: self._parse(key, obj) for key, obj in objects.items()}
        self._rv = rv
        with self._lock:
            self._listed_at = self._clock()
            self._failure = None
        self._publish()

    def _poll_if_due(self) -> None:
        """The watch-forbidden fallback: relist in the reader's thread once the cached list is old."""
        with self._poll_lock:
            with self._lock:
                due = self._view is None or self._clock() - self._listed_at >= self.poll_ttl_seconds
            if not due:
                return
            try:
                self._install(*self._list_all())
            except TenantSourceError as exc:
                self._fail(str(exc))

    def _call(self, **kwargs: Any) -> Any:
        if self.label_selector:
            kwargs["label_selector"] = self.label_selector
        if self.namespace:
            return self._api.list_namespaced_custom_object(
                self.group, self.version, self.namespace, self.plural, **kwargs
            )
        return self._api.list_cluster_custom_object(self.group, self.version, self.plural, **kwargs)

    # -- publishing --------------------------------------------------------------------------------

    def _where(self, key: _Key) -> str:
        namespace, name = key
        return f"Kubernetes {self.resource} " + (f"{namespace}/{name}" if namespace else name)

    def _parse(self, key: _Key, obj: Mapping[str, Any]) -> Tenant | SkippedTenant:
        return parse_entry(obj, where=self._where(key))

    def _publish(self) -> None:
        """Turn the store into the immutable view readers get, and the list of what it left out."""
        entries = [(self._where(key), entry) for key, entry in sorted(self._store.items())]
        screened: TenantList = screen(entries)
        view = tuple(sorted(screened.tenants, key=lambda t: t.name))
        with self._changed:
            previous, self._skipped = self._skipped, screened.skipped
            self._view = view
            self._changed.notify_all()
        log_new_skips(screened.skipped, previous)

    def _fail(self, message: str) -> None:
        with self._changed:
            if self._failure is None:
                self._failing_since = self._clock()
            repeated, self._failure = self._failure == message, message
            self._changed.notify_all()
        if not repeated:  # once per distinct problem, not once per retry
            log.warning("%s", message)

    # -- messages ----------------------------------------------------------------------------------

    @property
    def _scope(self) -> str:
        return f'in namespace "{self.namespace}"' if self.namespace else "at the cluster scope"

    def _describe(self, exc: BaseException, verb: str) -> str:
        """A clear, secret-free sentence for a failed call (never the token, body or headers)."""
        if isinstance(exc, ApiException):
            status = exc.status or 0
            if status == 0:  # the client wraps TLS failures as status 0
                return (
                    f"Kubernetes API: cannot reach the API server at {self._host}: TLS verification "
                    "failed (check the cluster CA in the kubeconfig)."
                )
            if status == 401:
                return (
                    "Kubernetes API: 401 Unauthorized: the API server refused the credentials (check the "
                    "service account token, or the user in KUBECONFIG)."
                )
            if status == 403:
                self._log_server_message(exc)
                return (
                    f"Kubernetes API: forbidden: cannot {verb} {self.resource} {self._scope}; grant get, "
                    f"list and watch on {self.resource} to the dashboard's service account "
                    "(deploy/rbac.yaml)."
                )
            if status == 404:
                return self._not_found()
            reason = " ".join(str(exc.reason or "").split())[:80]
            return f"Kubernetes API: {verb} {self.resource} failed with HTTP {status} {reason}".strip() + "."
        if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
            return f"Kubernetes API: cannot reach the API server at {self._host} ({_network_reason(exc)})."
        return f"Kubernetes API: {verb} {self.resource} failed ({type(exc).__name__})."

    def _describe_status(self, status: Mapping[str, Any], verb: str) -> str:
        code = status.get("code")
        reason = status.get("reason")
        exc = ApiException(status=code if isinstance(code, int) else 500, reason=str(reason or ""))
        return self._describe(exc, verb)

    def _not_found(self) -> str:
        """404: ask discovery whether the group/version is served at all, to say what is missing."""
        served = f"{self.group}/{self.version}"
        try:
            resources = self._api.get_api_resources(
                self.group, self.version, _request_timeout=(_CONNECT_TIMEOUT, self.request_timeout_seconds)
            )
            names = {r.name for r in (resources.resources or [])}
        except ApiException as exc:
            if exc.status == 404:
                return (
                    f"Kubernetes API: the Tenant CRD is not installed: the API server serves no {served} "
                    "(kubectl apply -f deploy/crd.yaml, or check TENANT_API_GROUP and TENANT_API_VERSION)."
                )
            names = set()
        except Exception:
            names = set()
        if names and self.plural not in names:
            return (
                f"Kubernetes API: {served} has no resource named {self.plural!r} "
                f"(it serves {', '.join(sorted(names))}); check TENANT_PLURAL."
            )
        return f"Kubernetes API: 404 Not Found listing {self.resource}: is the Tenant CRD installed?"

    @property
    def _host(self) -> str:
        return str(getattr(self._api_client.configuration, "host", "?"))

    def _log_server_message(self, exc: ApiException) -> None:
        # The API server's Status names the identity that was refused: useful to operators, kept in logs.
        try:
            message = json.loads(exc.body or "{}").get("message")
        except (ValueError, AttributeError):
            message = None
        if isinstance(message, str):
            log.warning("Kubernetes API refused the request: %s", message[:500])


def _key(obj: Mapping[str, Any]) -> _Key:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return ("", "")
    namespace, name = metadata.get("namespace"), metadata.get("name")
    return (namespace if isinstance(namespace, str) else "", name if isinstance(name, str) else "")


def _page_parts(page: object) -> tuple[list[Any] | None, dict[str, Any] | None]:
    if not isinstance(page, dict):
        return None, None
    items, metadata = page.get("items"), page.get("metadata")
    if items is None:
        items = []  # an empty list may omit items
    if not isinstance(items, list) or not isinstance(metadata, dict):
        return None, None
    return items, cast(dict[str, Any], metadata)


def _network_reason(exc: BaseException) -> str:
    reason: BaseException = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        reason = exc.reason
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "host name not resolved"
    if isinstance(reason, urllib3.exceptions.SSLError):
        return "TLS verification failed"
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    if isinstance(reason, urllib3.exceptions.NewConnectionError | ConnectionError):
        return "connection refused" if "refused" in str(reason).lower() else "connection failed"
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
        return "connection timed out"
    if isinstance(reason, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return "no answer in time"
    return type(reason).__name__


def _shutdown(response: Any) -> None:
    """Unblock a thread reading this response (closing it from another thread could deadlock)."""
    shutdown = getattr(response, "shutdown", None)  # urllib3 >= 2.3
    try:
        if callable(shutdown):
            shutdown()
            return
        sock = getattr(getattr(response, "connection", None), "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
