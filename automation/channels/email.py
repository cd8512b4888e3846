"""Email over SMTP. The firing id is the `Message-ID` (receivers and mailbox providers drop a second
copy with the same id); `List-Unsubscribe` carries an https link and a mailto, with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) for one-click unsubscribe."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from automation.channels.base import Delivery
from automation.errors import ChannelError


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self._password, self.starttls = username, password, starttls
        self.timeout_s = timeout_s
        self.domain = sender.rpartition("@")[2] or "localhost"

    def build(self, delivery: Delivery) -> EmailMessage:
        message = delivery.message
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message["to"]
        email["Subject"] = message.get("subject", "")
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = f"<{delivery.firing_id}@{self.domain}>"
        unsubscribe = message.get("unsubscribe_url")
        mailto = f"mailto:unsubscribe@{self.domain}?subject=unsubscribe-{delivery.firing_id}"
        email["List-Unsubscribe"] = f"<{unsubscribe}>, <{mailto}>" if unsubscribe else f"<{mailto}>"
        if unsubscribe:
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email["X-CDP-Flow"] = f"{delivery.flow}/{delivery.step}"
        email.set_content(message.get("body", ""))
        return email

    def send(self, delivery: Delivery) -> None:
        email = self.build(delivery)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self._password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise ChannelError(f"recipient refused (SMTP {codes})", retryable=all(c < 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP connection failed: {type(exc).__name__}") from exc
