"""A loopback webhook receiver for the alert tests: real sockets and HTTP, no internet.

`WebhookServer(script)` binds 127.0.0.1 on a free port and answers each POST with the next step
of `script` (then repeats the last): an HTTP status, or ("sleep", seconds, status) to answer only
after a delay (a client with a shorter timeout sees a timeout). Every request received, its
headers and JSON body, is kept in `received`, whatever was answered.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Step = int | tuple[str, float, int]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookServer:
    script: list[Step] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with server._lock:
                    server.received.append(
                        Received(self.path, dict(self.headers.items()), json.loads(raw or b"{}"))
                    )
                    index = len(server.received) - 1
                    step = server.script[min(index, len(server.script) - 1)]
                status = step
                if isinstance(step, tuple):
                    _, seconds, status = step
                    time.sleep(seconds)
                try:
                    body = b'{"ok": true}' if status < 300 else b"receiver error"
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout): nothing to answer

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
