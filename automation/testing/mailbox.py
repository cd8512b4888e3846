"""A local SMTP server (aiosmtpd) that keeps each message once by `Message-ID`, as a mail store does,
and writes it to a folder as `.eml` (open it in any mail client), with an `index.html` listing them."""

import html
import threading
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")


class Mailbox:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else None
        self.messages: dict[str, EmailMessage] = {}  # Message-ID -> message, once each
        self.deliveries = 0  # DATA commands accepted, duplicates included
        self.faults: deque[str] = deque()  # SMTP replies to answer instead of accepting, e.g. "451 ..."
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.faults:
                return self.faults.popleft()
        message = message_from_bytes(envelope.content, policy=policy.default)
        missing = [h for h in REQUIRED_HEADERS if not message[h]]
        if missing:
            return f"554 5.6.0 message lacks {', '.join(missing)}"
        with self.lock:
            self.deliveries += 1
            message_id = str(message["Message-ID"])
            if message_id in self.messages:
                return "250 2.0.0 duplicate dropped"
            self.messages[message_id] = message
            if self.folder is not None:
                self._write(len(self.messages), message)
        return "250 2.0.0 OK"

    def _write(self, number: int, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{number:05d}.eml").write_bytes(message.as_bytes())
        rows = "".join(
            f"<li><a href='{number:05d}.eml'>{html.escape(str(m['Subject']))}</a> to {html.escape(str(m['To']))}</li>"
            for number, m in enumerate(self.messages.values(), start=1)
        )
        (self.folder / "index.html").write_text(f"<h1>Local mailbox</h1><ol>{rows}</ol>")

    def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        self._controller = Controller(self, hostname=host, port=port or _free_port(host))
        self._controller.start()
        return host, self._controller.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    """`python -m automation.testing.mailbox --port 2525 --folder data/mailbox`: a local inbox to open."""
    import argparse
    import signal
    import time

    parser = argparse.ArgumentParser(description="A local SMTP mailbox writing .eml files and index.html.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--folder", type=Path, default=Path("data/mailbox"))
    args = parser.parse_args(argv)
    box = Mailbox(args.folder)
    box.start(args.host, args.port)
    print(f"mailbox on smtp://{args.host}:{args.port}, messages in {args.folder}/index.html", flush=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        while not stopping:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    box.stop()


if __name__ == "__main__":
    main()
