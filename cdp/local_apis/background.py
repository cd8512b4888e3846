"""Run a local API (an ASGI app) under uvicorn in a background thread, for the pipeline, the demo and tests."""

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from cdp.errors import CdpError


def _wait_until_answering(what: str, base_url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise CdpError(f"The {what} at `{base_url}` stopped while starting")
        if server.started:
            try:
                urllib.request.urlopen(f"{base_url}/", timeout=1)
            except urllib.error.HTTPError:
                return  # any HTTP answer (a 404 too) means it is serving
            except OSError:
                pass
            else:
                return
        time.sleep(0.02)
    raise CdpError(f"The {what} at `{base_url}` did not answer within 15 s")


@contextmanager
def serve_in_thread(app: Any, what: str, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:<port>`). `port=0` picks a
    free port. `what` names the server in errors (`local shop API`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=what, daemon=True)
    thread.start()
    try:
        _wait_until_answering(what, base_url, server, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
