"""A small threaded HTTP server on 127.0.0.1 that CRM emulators build on, with fault injection.

Not product code: it exists so tests, benchmarks and the demo can drive the real client libraries
(simple-salesforce, hubspot-api-client) over the real wire format without the internet.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status, json.dumps(payload).encode(), {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        )


@dataclass
class Fault:
    """One injected fault: which requests it hits, what it answers, and how many times."""

    kind: str  # e.g. "status", "drop", "malformed_json"
    matches: Callable[[Request, int], bool]
    respond: Callable[[Request], Response]
    times: int | None = None  # None: every matching request
    hits: int = 0


class SandboxServer:
    """Base class: subclasses implement `handle(request) -> Response`."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        # Seconds spent answering (in this process, so a benchmark can tell the emulator's work from its client's).
        self.busy_seconds = 0.0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self, port: int = 0) -> SandboxServer:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                started = time.perf_counter()
                try:
                    self._answer()
                finally:
                    with sandbox._lock:
                        sandbox.busy_seconds += time.perf_counter() - started

            def _answer(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parsed.path,
                    urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                response = sandbox._dispatch(request)
                if response.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve  # noqa: N815

            def log_message(self, *args) -> None:  # keep test output clean
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the sandbox first"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults ----------------------------------------------------------------------------
    def inject(
        self,
        kind: str,
        *,
        path_contains: str = "",
        method: str | None = None,
        nth: int | None = None,
        times: int | None = None,
        status: int = 500,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Make matching requests fail.

        kind: "status" (answer `status` with `payload`), "drop" (close the connection), or
        "malformed_json" (a 200 whose body is not JSON). `nth` counts matching requests from 1
        and hits only that one; `times` limits how often the fault fires (None: always).
        """
        counter = {"seen": 0}

        def matches(request: Request, _index: int) -> bool:
            if path_contains and path_contains not in request.path + "?" + urllib.parse.urlencode(
                request.query, doseq=True
            ):
                return False
            if method and request.method != method:
                return False
            counter["seen"] += 1
            return nth is None or counter["seen"] == nth

        def respond(_request: Request) -> Response:
            if kind == "drop":
                return Response(drop=True)
            if kind == "malformed_json":
                return Response(200, b'{"records": [ {"Id": "trunc', {"Content-Type": "application/json"})
            return Response.json(payload if payload is not None else {"error": "injected"}, status, headers)

        fault = Fault(kind, matches, respond, times)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def _dispatch(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path))
            index = len(self.requests)
            for fault in self.faults:
                if (fault.times is None or fault.hits < fault.times) and fault.matches(request, index):
                    fault.hits += 1
                    return fault.respond(request)
        try:
            return self.handle(request)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must answer, not hang the client
            return Response.json({"error": f"sandbox error: {exc!r}"}, 500)

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError
