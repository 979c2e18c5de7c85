"""Mail out: a public reply on a case goes to its customer, threaded, through SMTP, from the outbox.

Sent with a Message-ID derived from the delivery's idempotency key, so a
resend after a lost answer is the same message to the customer's mail
program. The subject carries ``[C-000123]`` and ``In-Reply-To`` names the
customer's last mail, so their answer comes back to the case.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.email.inbound import ACTOR
from casehub.plugins.email.settings import EmailSettings
from casehub.plugins.email.threads import message_id, tagged_subject

__all__ = ["DESTINATION", "plan", "send"]

DESTINATION = "email"


def plan(event: Event, case: Case) -> list[Delivery]:
    """A public comment by anyone but the customer (an agent, the rules) is mailed to the customer."""
    if event.type != "comment.added" or not event.data.get("public") or event.actor == ACTOR:
        return []
    if not case.contact.email or str(event.data.get("author", "")).lower() == case.contact.email.lower():
        return []
    return [Delivery(DESTINATION, "reply", payload={"body": event.data["body"], "author": event.data.get("author")})]


def compose(item: OutboxItem, case: Case, settings: EmailSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.display_name, settings.address))
    message["To"] = case.contact.email or ""
    message["Subject"] = tagged_subject(case.number, case.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(case.number, item.idempotency_key, settings.domain)
    last = str(case.custom_fields.get("email_message_id") or "")
    if last.startswith("<") and last.endswith(">") and "\n" not in last:
        message["In-Reply-To"] = last
        message["References"] = last
    message["Auto-Submitted"] = "no" if item.payload.get("author") != "rules" else "auto-replied"
    message.set_content(str(item.payload["body"]))
    return message


def send(item: OutboxItem, case: Case, settings: EmailSettings) -> DeliveryResult:
    message = compose(item, case, settings)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password is not None:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = "; ".join(f"{addr}: {code} {msg.decode(errors='replace')}" for addr, (code, msg) in exc.recipients.items())
        return DeliveryResult(ok=False, permanent=True, error=f"the mail server refused the recipient: {codes}")
    except smtplib.SMTPAuthenticationError as exc:
        return DeliveryResult(ok=False, permanent=True, error=f"the mail server refused the login: {exc.smtp_code}")
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        return DeliveryResult(ok=False, permanent=permanent, error=f"SMTP {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')}")
    return DeliveryResult()  # no link: a mail thread is not a record the case lives in
