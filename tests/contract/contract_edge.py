"""A loopback reverse proxy in front of the real LiteLLM: it can play an older proxy.

With `hide_daily_activity=True` it answers 404 (FastAPI's own body) for `/team/daily/activity*`,
the way a LiteLLM older than 1.66.3 does, and forwards everything else unchanged. That forces the
client's spend-logs fallback against real data without touching the code under test. Every
request path is recorded so a test can prove which endpoints were used.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

# Headers that describe one hop, not the message (RFC 9110 7.6.1), plus the ones we recompute.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}
_NOT_FOUND = b'{"detail":"Not Found"}'


class EdgeProxy:
    """Start with `with EdgeProxy(upstream, hide_daily_activity=...) as edge: edge.url`."""

    def __init__(self, upstream: str, *, hide_daily_activity: bool) -> None:
        self.upstream = upstream.rstrip("/")
        self.hide_daily_activity = hide_daily_activity
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=self.upstream, timeout=60.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL to give the CLI as LITELLM_BASE_URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def hits(self, prefix: str) -> int:
        """How many requests had a path starting with `prefix`."""
        with self._lock:
            return sum(1 for path in self.paths if path.startswith(prefix))

    def reset(self) -> None:
        """Forget the recorded paths."""
        with self._lock:
            self.paths.clear()

    def __enter__(self) -> EdgeProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._client.close()

    def _record(self, path: str) -> None:
        with self._lock:
            self.paths.append(path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        edge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Stay quiet: request lines carry no secrets, but test output should be clean."""

            def _forward(self) -> None:
                path = urlsplit(self.path).path
                edge._record(path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if edge.hide_daily_activity and path.startswith("/team/daily/activity"):
                    self._reply(404, [("content-type", "application/json")], _NOT_FOUND)
                    return
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP]
                try:
                    upstream = edge._client.request(self.command, self.path, headers=headers, content=body)
                except httpx.HTTPError:
                    self._reply(502, [("content-type", "text/plain")], b"bad gateway")
                    return
                kept = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
                self._reply(upstream.status_code, kept, upstream.content)

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        return Handler
