"""Mail in: each new message in the Maildir becomes a case, or a reply on the case it answers.

The mailbox is the watermark: a message is handled, then moved to ``cur``
and marked seen; a message still in ``new`` has not been handled. Mail that
would start a loop is left alone (marked seen, nothing created): our own
mail, and automatic replies (``Auto-Submitted``, ``Precedence: bulk``) — an
out-of-office answering our acknowledgement must not open a case that is
acknowledged again.
"""

from __future__ import annotations

import logging
import mailbox
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from casehub.errors import CaseNotFound
from casehub.model import CaseDraft, CommentDraft
from casehub.plugins.email.settings import EmailSettings
from casehub.plugins.email.threads import case_reference, clean_subject

__all__ = ["ACTOR", "poll"]

log = logging.getLogger(__name__)
ACTOR = "email"
_MAX_BODY = 60_000


class _Text(HTMLParser):
    """The text of an HTML mail, without its scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset: keep what can be read
        content = part.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]
    if part.get_content_type() == "text/html":
        parser = _Text()
        parser.feed(content)
        content = "".join(parser.parts)
    lines = [line.rstrip() for line in content.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()[:_MAX_BODY]


def _automatic(message: EmailMessage, settings: EmailSettings) -> bool:
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    auto = str(message.get("Auto-Submitted", "no")).lower()
    precedence = str(message.get("Precedence", "")).lower()
    return sender == settings.address.lower() or auto != "no" or precedence in ("bulk", "junk", "auto_reply", "list")


def take_in(hub: Any, message: EmailMessage, settings: EmailSettings) -> str:
    """Handle one message; returns what became of it (for the log)."""
    if _automatic(message, settings):
        return "ignored: automatic or our own"
    name, sender = parseaddr(str(message.get("From", "")))
    text = body_text(message)
    reference = case_reference(message)
    if reference is not None:
        try:
            hub.service.comment(reference, CommentDraft(body=text or "(empty message)", public=True, author=sender), ACTOR)
            return f"reply on {reference}"
        except CaseNotFound:
            pass  # a tag from another system, or a deleted case: a new case, then
    subject = clean_subject(str(message.get("Subject", ""))) or "(no subject)"
    draft = {"subject": subject[:250], "description": text, "channel": "email",
             "contact": {"email": sender or None, "name": name or None},
             "custom_fields": {"email_message_id": str(message.get("Message-ID", ""))[:300]}}  # fmt: skip
    try:
        case = hub.service.create(CaseDraft.model_validate(draft), actor=ACTOR)
    except ValidationError:  # a sender address casehub cannot take: keep the mail, without it
        draft["contact"] = {"name": (name or sender or None) and (name or sender)[:200]}
        case = hub.service.create(CaseDraft.model_validate(draft), actor=ACTOR)
    return f"new case {case.number}"


def poll(hub: Any, settings: EmailSettings, watermark: str | None) -> str | None:
    box = mailbox.Maildir(hub.settings.resolve(Path(settings.maildir)), factory=None, create=True)
    parser = BytesParser(policy=policy.default)
    for key in sorted(box.iterkeys()):
        stored = box.get_message(key)
        if stored.get_subdir() != "new":
            continue
        message = parser.parsebytes(stored.as_bytes())
        outcome = take_in(hub, message, settings)  # type: ignore[arg-type]
        log.info("mail %s: %s", message.get("Message-ID", key), outcome)
        stored.set_subdir("cur")
        stored.add_flag("S")
        box[key] = stored
    return watermark
