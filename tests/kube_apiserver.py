"""A loopback Kubernetes API server for tests: HTTPS with its own CA, one bearer token, one custom resource.

It speaks enough of the real protocol for the official client: discovery (/api, /apis, /apis/G/V),
list with limit/continue and label selectors, watch (chunked JSON lines with ADDED, MODIFIED,
DELETED, BOOKMARK and ERROR events, resourceVersion resume, 410 after compaction), and the API
server's real error shapes: Status bodies for 401/403/410 and the plain-text 404 of an unknown path.
Faults a test can inject: a watch stream cut mid-way, an ERROR event, an error status when a watch
opens, and an outage (nothing listens) followed by the server coming back on the same port.
Every request and every watch event sent is recorded so tests can count them.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import select
import socket
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
import yaml

Obj = dict[str, Any]


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    verb: str  # list | watch | discovery | other, as RBAC would name it


def _status(code: int, reason: str, message: str, **extra: Any) -> Obj:
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    body.update(extra)
    return body


_WATCH_OPEN_ERRORS = {
    410: ("Expired", "too old resource version: 1 (2)"),
    429: ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
    500: ("InternalError", 'an error on the server ("etcdserver: leader changed") has prevented the request'),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
}


def _requirement(text: str) -> Callable[[Mapping[str, str]], bool]:
    text = text.strip()
    match = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", text)
    if match:
        key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    match = re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", text)
    if match:
        key, op, value = match.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if re.fullmatch(r"![\w./-]+", text):
        return lambda labels: text[1:] not in labels
    if re.fullmatch(r"[\w./-]+", text):
        return lambda labels: text in labels
    raise ValueError(text)


def parse_selector(selector: str) -> Callable[[Mapping[str, str]], bool]:
    """A label selector (=, ==, !=, in, notin, exists, !exists; comma means and) as a predicate."""
    parts = [p for p in re.split(r",(?![^(]*\))", selector) if p.strip()]
    requirements = [_requirement(p) for p in parts]
    return lambda labels: all(r(labels) for r in requirements)


class KubeApiServer:
    """The server, its state and the knobs tests turn (RBAC verbs, CRD installed, compaction...)."""

    def __init__(
        self,
        *,
        group: str = "platform.example.com",
        version: str = "v1alpha1",
        plural: str = "tenants",
        kind: str = "Tenant",
        user: str = "system:serviceaccount:usage-dashboard:usage-dashboard",
    ) -> None:
        self.group, self.version, self.plural, self.kind, self.user = group, version, plural, kind, user
        self.token = "kube-test-token-" + uuid.uuid4().hex
        self.ca = trustme.CA()
        self._cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.allowed_verbs = {"get", "list", "watch"}
        self.crd_installed = True
        self.expire_continue_tokens = 0  # the next N continue tokens answer 410 Expired
        self.watch_open_errors: list[int] = []  # statuses the next watch requests answer, one each
        self._cond = threading.Condition()
        self._objects: dict[tuple[str, str], Obj] = {}
        self._events: list[tuple[int, str, Obj | None, Obj | None]] = []  # rv, type, old, new
        self._rv = 1000
        self._compacted = 0
        self._frozen = False
        self._generation = 0  # bumped to end every open watch
        self._drops = 0  # bumped to cut every open watch without the stream's end
        self._errors: list[Obj] = []  # ERROR events injected into the watches open at the time
        self._sent: list[tuple[str, str | None]] = []  # (type, name) of every watch event written
        self._bookmarks = 0
        self._continues: dict[str, tuple[int, list[Obj]]] = {}
        self._requests: list[SeenRequest] = []
        self._open_watches = 0
        self._stopping = False
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, port: int = 0) -> KubeApiServer:
        """Listen on a loopback port (a free one by default)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        with self._cond:
            self._stopping = False
        self._httpd = _Server(("127.0.0.1", port), _Handler, api=self, context=context)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="kube-apiserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every watch and connection and join every thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Inside this block nothing listens (connecting is refused); then the server is back, same port."""
        assert self._httpd is not None
        port = self._httpd.server_address[1]
        self.drop_watches()  # an outage cuts streams, it does not end them politely
        self.wait_for(lambda: self.open_watches == 0)
        self.stop()
        try:
            yield
        finally:
            self.start(port)

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's base URL."""
        assert self._httpd is not None
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    def write_kubeconfig(
        self, path: Path, *, token: str | None = None, ca: trustme.CA | None = None, server: str | None = None
    ) -> Path:
        """A kubeconfig that reaches this server (or, with overrides, fails to)."""
        ca_pem = (ca or self.ca).cert_pem.bytes()
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "loopback",
                    "cluster": {
                        "server": server or self.url,
                        "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": "dashboard", "user": {"token": token or self.token}}],
            "contexts": [{"name": "loopback", "context": {"cluster": "loopback", "user": "dashboard"}}],
            "current-context": "loopback",
        }
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        return path

    # -- state that tests change -------------------------------------------------------------------

    def tenant(
        self,
        name: str,
        org: str,
        *,
        namespace: str = "tenants",
        display: str | None = None,
        users: tuple[str, ...] = (),
        team: str | None = None,
        alias: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> Obj:
        """Create (or replace) a Tenant object; returns it as stored."""
        obj: Obj = {
            "apiVersion": f"{self.group}/{self.version}",
            "kind": self.kind,
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})},
            "spec": {"orgId": org, "displayName": display or name.title(), "users": list(users)},
        }
        status = {k: v for k, v in (("litellmTeamId", team), ("litellmKeyAlias", alias)) if v}
        if status:
            obj["status"] = status
        return self.put(obj)

    def put(self, obj: Obj) -> Obj:
        """Create or update an object (ADDED or MODIFIED event)."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        with self._cond:
            self._rv += 1
            old = self._objects.get(key)
            meta["resourceVersion"] = str(self._rv)
            meta.setdefault("uid", old["metadata"]["uid"] if old else str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", "2026-11-01T00:00:00Z")
            self._objects[key] = obj
            self._events.append((self._rv, "MODIFIED" if old else "ADDED", old, obj))
            self._cond.notify_all()
        return copy.deepcopy(obj)

    def delete(self, name: str, *, namespace: str = "tenants") -> None:
        """Delete an object (DELETED event)."""
        with self._cond:
            old = self._objects.pop((namespace, name))
            self._rv += 1
            gone = copy.deepcopy(old)
            gone["metadata"]["resourceVersion"] = str(self._rv)
            self._events.append((self._rv, "DELETED", old, gone))
            self._cond.notify_all()

    def compact(self) -> None:
        """Forget history: a watch from an older resourceVersion gets 410 Expired."""
        with self._cond:
            self._compacted = self._rv
            self._events = [e for e in self._events if e[0] > self._rv]

    @contextlib.contextmanager
    def frozen_watches(self) -> Iterator[None]:
        """Open watches deliver nothing inside this block (as if the client were disconnected)."""
        with self._cond:
            self._frozen = True
        try:
            yield
        finally:
            with self._cond:
                self._frozen = False

    def end_watches(self) -> None:
        """Close every open watch stream cleanly (as a server-side timeout would)."""
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def drop_watches(self) -> None:
        """Cut every open watch stream mid-way: the connection closes without the stream's last chunk."""
        with self._cond:
            self._drops += 1
            self._cond.notify_all()

    def watch_error(self, code: int, reason: str, message: str) -> None:
        """Send an ERROR event with this Status to every open watch; each then ends, like the API server."""
        with self._cond:
            self._errors.append({"type": "ERROR", "object": _status(code, reason, message)})
            self._cond.notify_all()

    def bookmark(self) -> int:
        """Send a BOOKMARK at the current resourceVersion to watches that asked for them."""
        with self._cond:
            self._bookmarks += 1
            self._cond.notify_all()
            return self._rv

    @property
    def resource_version(self) -> int:
        """The current resourceVersion."""
        with self._cond:
            return self._rv

    # -- what the server saw -----------------------------------------------------------------------

    def requests(self, verb: str | None = None) -> list[SeenRequest]:
        """Requests so far (optionally only list, watch or discovery ones)."""
        with self._cond:
            seen = list(self._requests)
        return [r for r in seen if verb is None or r.verb == verb]

    def count(self, verb: str | None = None) -> int:
        """How many requests so far."""
        return len(self.requests(verb))

    def sent(self) -> list[tuple[str, str | None]]:
        """(type, object name) of every event written to a watch stream so far, in order."""
        with self._cond:
            return list(self._sent)

    @property
    def open_watches(self) -> int:
        """Watch streams currently open."""
        with self._cond:
            return self._open_watches

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() is true (checked on every state change and every 20 ms)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            with self._cond:
                self._cond.wait(0.02)

    # -- request handling --------------------------------------------------------------------------

    def _record(self, method: str, path: str, query: Mapping[str, str], status: int, verb: str) -> None:
        with self._cond:
            self._requests.append(SeenRequest(method, path, dict(query), status, verb))
            self._cond.notify_all()

    def _forbidden(self, verb: str, namespace: str | None) -> Obj:
        where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        return _status(
            403,
            "Forbidden",
            f'{self.plural}.{self.group} is forbidden: User "{self.user}" cannot {verb} resource '
            f'"{self.plural}" in API group "{self.group}" {where}',
            details={"group": self.group, "kind": self.plural},
        )

    def _visible(self, obj: Obj | None, namespace: str | None, selector: Callable[..., bool]) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if namespace and meta.get("namespace") != namespace:
            return False
        return selector(meta.get("labels") or {})

    def _list(self, namespace: str | None, query: Mapping[str, str], selector: Callable[..., bool]) -> Any:
        limit = int(query.get("limit") or 0)
        token = query.get("continue")
        with self._cond:
            if token:
                if self.expire_continue_tokens > 0 or token not in self._continues:
                    self.expire_continue_tokens = max(0, self.expire_continue_tokens - 1)
                    self._continues.pop(token, None)
                    return 410, _status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. "
                        "You can start a new list without the continue parameter, or use the continue "
                        "token in this response to retrieve the remainder of the results.",
                        metadata={"continue": token},
                    )
                rv, remaining = self._continues.pop(token)
            else:
                rv = self._rv
                remaining = [
                    copy.deepcopy(self._objects[k])
                    for k in sorted(self._objects)
                    if self._visible(self._objects[k], namespace, selector)
                ]
            page, rest = (remaining[:limit], remaining[limit:]) if limit else (remaining, [])
            metadata: Obj = {"resourceVersion": str(rv)}
            if rest:
                next_token = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()
                self._continues[next_token] = (rv, rest)
                metadata["continue"] = next_token
                metadata["remainingItemCount"] = len(rest)
        return 200, {
            "apiVersion": f"{self.group}/{self.version}",
            "kind": f"{self.kind}List",
            "metadata": metadata,
            "items": page,
        }

    def _watch(
        self,
        handler: _Handler,
        namespace: str | None,
        query: Mapping[str, str],
        selector: Callable[..., bool],
    ) -> None:
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = min(int(query.get("timeoutSeconds") or 1800), 1800)
        since = query.get("resourceVersion")
        with self._cond:
            generation, drops, seen_bookmarks = self._generation, self._drops, self._bookmarks
            errors = len(self._errors)
            if since in (None, "", "0"):  # no resourceVersion: the current state as ADDED, then changes
                initial = [
                    {"type": "ADDED", "object": copy.deepcopy(o)}
                    for _, o in sorted(self._objects.items())
                    if self._visible(o, namespace, selector)
                ]
                position, expired = self._rv, False
            else:
                position = int(since or 0)
                expired = position < self._compacted
                initial = []
                if expired:
                    initial = [
                        {
                            "type": "ERROR",
                            "object": _status(
                                410, "Expired", f"too old resource version: {position} ({self._compacted})"
                            ),
                        }
                    ]
            self._open_watches += 1
        try:
            handler.start_stream()
            for event in initial:
                self._write(handler, event)
            deadline = time.monotonic() + timeout
            cursor = _Cursor(position, seen_bookmarks, errors)
            while not expired:
                with self._cond:
                    self._cond.wait_for(
                        lambda c=cursor: self._wakes(c, generation, drops, bookmarks, deadline), timeout=0.2
                    )
                    if self._drops != drops:
                        handler.drop()
                        return
                    if self._stopping or self._generation != generation or time.monotonic() >= deadline:
                        break
                    out = self._pending(cursor, namespace, selector, bookmarks)
                if handler.client_gone():
                    break
                for event in out:
                    self._write(handler, event)
                if any(event["type"] == "ERROR" for event in out):
                    break  # the API server ends a watch after an ERROR event
            handler.end_stream()
        except OSError:
            pass  # the client went away
        finally:
            with self._cond:
                self._open_watches -= 1
                self._cond.notify_all()

    def _write(self, handler: _Handler, event: Obj) -> None:
        handler.write_chunk(event)
        name = (event["object"].get("metadata") or {}).get("name")
        with self._cond:
            self._sent.append((event["type"], name))

    def _wakes(self, cursor: _Cursor, generation: int, drops: int, bookmarks: bool, deadline: float) -> bool:
        return (
            self._stopping
            or self._generation != generation
            or self._drops != drops
            or len(self._errors) != cursor.errors
            or time.monotonic() >= deadline
            or (not self._frozen and bool(self._events) and self._events[-1][0] > cursor.position)
            or (bookmarks and self._bookmarks != cursor.bookmarks)
        )

    def _pending(
        self, cursor: _Cursor, namespace: str | None, selector: Callable[..., bool], bookmarks: bool
    ) -> list[Obj]:
        """The events this watcher has not had yet, as its namespace and selector see them."""
        out: list[Obj] = []
        if len(self._errors) != cursor.errors:  # an injected failure: delivered even when frozen
            out.extend(copy.deepcopy(self._errors[cursor.errors :]))
            cursor.errors = len(self._errors)
            return out
        if not self._frozen:
            for rv, kind, old, new in self._events:
                if rv <= cursor.position:
                    continue
                was = self._visible(old, namespace, selector)
                now = self._visible(new, namespace, selector)
                if kind == "DELETED" and was:
                    out.append({"type": "DELETED", "object": copy.deepcopy(new)})
                elif kind != "DELETED" and now:
                    out.append({"type": "MODIFIED" if was else "ADDED", "object": copy.deepcopy(new)})
                elif kind != "DELETED" and was:  # it left the selector: gone for this watcher
                    out.append({"type": "DELETED", "object": copy.deepcopy(new)})
                cursor.position = rv
        if bookmarks and self._bookmarks != cursor.bookmarks:
            cursor.bookmarks = self._bookmarks
            if not self._frozen:
                cursor.position = self._rv
            meta = {"resourceVersion": str(cursor.position)}
            obj = {"apiVersion": f"{self.group}/{self.version}", "kind": self.kind, "metadata": meta}
            out.append({"type": "BOOKMARK", "object": obj})
        return out

    def _resources(self) -> Obj:
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{self.group}/{self.version}",
            "resources": [
                {
                    "name": self.plural,
                    "singularName": self.kind.lower(),
                    "namespaced": True,
                    "kind": self.kind,
                    "verbs": [
                        "delete",
                        "deletecollection",
                        "get",
                        "list",
                        "patch",
                        "create",
                        "update",
                        "watch",
                    ],
                },
                {
                    "name": f"{self.plural}/status",
                    "singularName": "",
                    "namespaced": True,
                    "kind": self.kind,
                    "verbs": ["get", "patch", "update"],
                },
            ],
        }

    def _groups(self) -> Obj:
        version = {"groupVersion": f"{self.group}/{self.version}", "version": self.version}
        groups = [{"name": self.group, "versions": [version], "preferredVersion": version}]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups if self.crd_installed else []}

    def handle(self, handler: _Handler) -> None:
        """Route one GET."""
        url = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path.rstrip("/") or "/"

        parts = path.strip("/").split("/")
        collection = parts[:3] == ["apis", self.group, self.version] and (
            len(parts) == 4 or (len(parts) == 6 and parts[3] == "namespaces")
        )
        if collection:
            verb = "watch" if query.get("watch") in ("true", "1") else "list"
        else:
            verb = "discovery" if parts[0] in ("api", "apis", "version") else "other"

        def reply(code: int, body: Any) -> None:
            self._record(handler.command, path, query, code, verb)
            handler.send_json(code, body)

        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return reply(401, _status(401, "Unauthorized", "Unauthorized"))
        if path == "/version":
            return reply(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-loopback"})
        if path == "/api":
            return reply(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if path == "/apis":
            return reply(200, self._groups())
        if self.crd_installed and parts == ["apis", self.group, self.version]:
            return reply(200, self._resources())
        namespace = parts[4] if collection and len(parts) == 6 else None
        if not collection or parts[-1] != self.plural or not self.crd_installed:
            self._record(handler.command, path, query, 404, verb)
            return handler.send_text(404, "404 page not found\n")
        if verb not in self.allowed_verbs:
            return reply(403, self._forbidden(verb, namespace))
        if verb == "watch" and self.watch_open_errors:
            code = self.watch_open_errors.pop(0)
            reason, message = _WATCH_OPEN_ERRORS.get(code, ("InternalError", "an error on the server"))
            return reply(code, _status(code, reason, message))
        try:
            selector = parse_selector(query.get("labelSelector", ""))
        except ValueError as exc:
            return reply(400, _status(400, "BadRequest", f"unable to parse requirement: {exc}"))
        if verb == "list":
            return reply(*self._list(namespace, query, selector))
        self._record(handler.command, path, query, 200, verb)
        self._watch(handler, namespace, query, selector)
        return None


@dataclass
class _Cursor:
    """How far one watch stream has got."""

    position: int
    bookmarks: int
    errors: int


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True

    def __init__(
        self, address: tuple[str, int], handler: type, *, api: KubeApiServer, context: ssl.SSLContext
    ):
        super().__init__(address, handler)
        self.api = api
        self.context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust our CA
        with self._connections_lock:
            self._connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls)
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client hanging up is not an error
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def do_GET(self) -> None:
        self.server.api.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def send_json(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def client_gone(self) -> bool:
        """True once the client closed the connection (a watch stream only writes, so look)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1) == b""
        except (OSError, ValueError):
            return True

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, event: Obj) -> None:
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def drop(self) -> None:
        """Close the connection under a stream, without its terminating chunk."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
