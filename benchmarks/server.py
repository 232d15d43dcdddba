"""Serve an httpx handler over real HTTP/1.1 on loopback, adding a fixed latency per request.

Counts requests and response bytes at the server; `GET /__bench/stats` reads and
`GET /__bench/reset` zeroes the counters (neither is counted). Run as a process:

    python -m benchmarks.server --sizes 1000,10000 --delay-ms 5

prints one JSON line `{"url": ..., "teams": {"1000": team_id, ...}}` when ready (the
handler is usage_core.demo's DemoLiteLLM with one benchmark team per size).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class _Counters:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes_sent = 0
        self.paths: dict[str, int] = {}

    def add(self, path: str, size: int) -> None:
        with self.lock:
            self.requests += 1
            self.bytes_sent += size
            self.paths[path] = self.paths.get(path, 0) + 1

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {
                "requests": self.requests,
                "bytes_sent": self.bytes_sent,
                "paths": dict(self.paths),
            }

    def reset(self) -> None:
        with self.lock:
            self.requests, self.bytes_sent, self.paths = 0, 0, {}


def make_server(app: Handler, *, delay_s: float = 0.005, port: int = 0) -> ThreadingHTTPServer:
    """A threaded HTTP server on 127.0.0.1 (port 0: a free one) wrapping `app`."""
    counters = _Counters()

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a client pool expects

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/__bench/"):
                if path == "/__bench/reset":
                    counters.reset()
                self._send(200, json.dumps(counters.snapshot()).encode(), "application/json")
                return
            request = httpx.Request(
                "GET",
                f"http://{self.headers.get('host', 'localhost')}{self.path}",
                headers=dict(self.headers.items()),
            )
            response = app(request)
            body = response.read()
            time.sleep(delay_s)  # the added per-request latency (a network hop, a proxy's overhead)
            counters.add(path, len(body))
            self._send(response.status_code, body, response.headers.get("content-type", ""))

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), RequestHandler)
    server.daemon_threads = True
    server.counters = counters  # type: ignore[attr-defined]
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve usage_core.demo's emulator with one benchmark team per size; print the address."""
    from benchmarks.demo_backend import make_emulator, pinned_now

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--master-key", default="sk-bench-emulator")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    app = make_emulator(sizes, pinned_now(), args.master_key)
    server = make_server(app, delay_s=args.delay_ms / 1000)
    host, port = server.server_address[:2]
    print(
        json.dumps({"url": f"http://{host}:{port}", "teams": {str(n): f"team-bench-{n}" for n in sizes}}),
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
