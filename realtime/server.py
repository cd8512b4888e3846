"""Run the collector with uvicorn (uvloop, httptools): `cdp serve collect`."""

import logging

import uvicorn

from realtime.app import create_app
from realtime.config import CollectorConfig

log = logging.getLogger(__name__)


def run_collector(config: CollectorConfig, host: str = "127.0.0.1", port: int = 8088, log_level: str = "info") -> None:
    """Serve the collection API until interrupted; on shutdown the open spool file is closed."""
    app = create_app(config)
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        # One line per request would cost more than the request; and keys travel in headers.
        access_log=False,
        log_level=log_level,
        # Requests in flight finish (and are made durable) before the spool closes.
        timeout_graceful_shutdown=10,
    )


def main() -> None:  # `python -m realtime.server`: used by tests and the benchmark to run it in a subprocess
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description=run_collector.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--spool-dir", type=Path, default=None)
    parser.add_argument("--rotate-bytes", type=int, default=None)
    parser.add_argument("--rotate-seconds", type=float, default=None)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    overrides = {}
    if args.rotate_bytes is not None:
        overrides["rotate_bytes"] = args.rotate_bytes
    if args.rotate_seconds is not None:
        overrides["rotate_seconds"] = args.rotate_seconds
    config = CollectorConfig.from_env(spool_dir=args.spool_dir, **overrides)
    run_collector(config, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
