"""What every local stand-in shares: a threaded HTTP server in the background, a per-key rate limit
answered with 429 + Retry-After, and faults tests queue up: `500`, `429`, `timeout_after_apply` (the
write is applied, the answer comes too late) and `drop` (the connection closes before anything is done)."""

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("500", "429", "timeout_after_apply", "drop")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    """Subclasses implement `handle(method, path, headers, body) -> Reply` and `authorised(headers)`."""

    def __init__(self, rate_per_s: float = 0.0, burst: int = 10, retry_after_s: int = 1, hang_s: float = 2.0):
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.faults: deque[str] = deque()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request received
        self.rate_limited = 0  # 429s answered because the client went too fast (not queued faults)
        self.lock = threading.RLock()
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._server: ThreadingHTTPServer | None = None
        self.raw_body = b""

    # -- to implement ------------------------------------------------------------------------------
    def authorised(self, headers) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def handle(self, method: str, path: str, headers, body: Any) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def problem(self, status: int, title: str, detail: str) -> Reply:
        return Reply(status, {"title": title, "status": status, "detail": detail})

    # -- faults and limits -------------------------------------------------------------------------
    def fail_next(self, fault: str, times: int = 1) -> None:
        if fault not in FAULTS:
            raise ValueError(f"fault `{fault}` is not one of {', '.join(FAULTS)}")
        with self.lock:
            self.faults.extend([fault] * times)

    def _take_token(self) -> bool:
        if self.rate_per_s <= 0:
            return True
        with self.lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    # -- serving -----------------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((handler.command, handler.path))
            fault = self.faults.popleft() if self.faults else None
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "500":
            return self._send(handler, self.problem(500, "Internal Server Error", "injected fault"))
        if fault == "429":
            reply = self.problem(429, "Too Many Requests", "injected fault")
            reply.headers["Retry-After"] = str(self.retry_after_s)
            return self._send(handler, reply)
        if not self.authorised(handler.headers):
            return self._send(handler, self.problem(401, "API Key Invalid", "Your request did not include a valid key"))
        if not self._take_token():
            with self.lock:
                self.rate_limited += 1
            reply = self.problem(429, "Too Many Requests", "rate limit exceeded")
            reply.headers["Retry-After"] = str(self.retry_after_s)
            return self._send(handler, reply)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._send(handler, self.problem(400, "Invalid Resource", "body is not JSON"))
        with self.lock:
            self.raw_body = raw  # for receivers that check a signature over the exact bytes
            reply = self.handle(handler.command, handler.path, handler.headers, body)
        if fault == "timeout_after_apply":
            time.sleep(self.hang_s)
        self._send(handler, reply)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(payload)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): nothing to do
            pass

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL."""
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                return

            def do_GET(self):  # noqa: N802
                stand_in._dispatch(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True).start()
        return f"http://{host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
