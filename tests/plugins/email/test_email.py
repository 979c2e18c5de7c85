"""Mail in through a Maildir, replies out through a real SMTP server on 127.0.0.1 (aiosmtpd), threaded by case."""

from __future__ import annotations

import mailbox
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

import casehub.plugins.email as email_plugin
from casehub.hub import Hub
from casehub.pollers import run_poller
from casehub.store.cases import CaseFilter
from casehub.testing import settle_outbox

HubFactory = Callable[..., Hub]
RULES = """
triggers:
  - name: acknowledge mail
    on: [case.created]
    all: [{field: channel, eq: email}]
    actions:
      - reply: "Thank you, we have your request {{ case.number }}."
"""


class Inbox:
    """An SMTP server that keeps what it is sent, and refuses the recipients it is told to."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mail_hub(make_hub: HubFactory, any_database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> Hub:
    (tmp_path / "rules.yaml").write_text(RULES)
    config = {
        "email": {"address": "support@example.com", "maildir": str(tmp_path / "Maildir"), "smtp_port": smtp[1]},
        "rules": {"file": str(tmp_path / "rules.yaml")},
        "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_cap": 0.2},
    }
    return make_hub(config, plugins={"email": email_plugin}, database_url=any_database_url, deliveries=True)


def deliver_mail(hub: Hub, tmp_path: Path, **headers: str) -> None:
    body = headers.pop("body", "")
    html = headers.pop("html", None)
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
    mailbox.Maildir(tmp_path / "Maildir", create=True).add(message)
    result = run_poller(hub, hub.pollers["email"], force=True)
    assert result is not None and result.ok, result


def test_a_mail_becomes_a_case_and_the_acknowledgement_goes_back_threaded(
    mail_hub: Hub, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, _ = smtp
    deliver_mail(mail_hub, tmp_path, From="Ada Lovelace <ada@example.com>", To="support@example.com",
                 Subject="Printer on fire", Message_ID="<m1@mail.example.com>", body="Smoke from the tray.\n")  # fmt: skip

    [row] = settle_outbox(mail_hub)
    assert row["status"] == "done", row["last_error"]
    case = mail_hub.service.get("C-000001")
    assert (case.channel, case.subject, case.description) == ("email", "Printer on fire", "Smoke from the tray.")
    assert (case.contact.email, case.contact.name) == ("ada@example.com", "Ada Lovelace")
    [sent] = inbox.messages
    assert sent["To"] == "ada@example.com" and sent["Subject"] == "[C-000001] Printer on fire"
    assert sent["In-Reply-To"] == "<m1@mail.example.com>" and sent["Message-ID"].startswith("<casehub.C-000001.")
    assert "we have your request C-000001" in sent.get_content()


def test_the_customers_answer_goes_to_the_same_case_by_header_or_by_subject(
    mail_hub: Hub, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, _ = smtp
    deliver_mail(mail_hub, tmp_path, From="ada@example.com", Subject="Printer on fire", body="first")
    settle_outbox(mail_hub, 1)
    ours = inbox.messages[0]["Message-ID"]

    deliver_mail(mail_hub, tmp_path, From="ada@example.com", Subject="Re: [C-000001] Printer on fire",
                 In_Reply_To=ours, References=ours, body="It is out now, thanks.")  # fmt: skip
    deliver_mail(mail_hub, tmp_path, From="ada@example.com", Subject="AW: [C-000001] Printer on fire", body="By subject.")

    assert len(mail_hub.service.list(CaseFilter()).items) == 1
    comments = [e.data for e in mail_hub.service.events("C-000001") if e.type == "comment.added"]
    assert [(c["body"], c["author"]) for c in comments[1:]] == [
        ("It is out now, thanks.", "ada@example.com"),
        ("By subject.", "ada@example.com"),
    ]
    assert len(settle_outbox(mail_hub)) == 1  # the customer's own mails are not mailed back to them


def test_out_of_office_and_our_own_mail_open_no_case(mail_hub: Hub, tmp_path: Path) -> None:
    deliver_mail(mail_hub, tmp_path, From="bo@example.com", Subject="Out of office", Auto_Submitted="auto-replied", body="Away")
    deliver_mail(mail_hub, tmp_path, From="support@example.com", Subject="[C-000009] loop?", body="ours")

    assert mail_hub.service.list(CaseFilter()).items == []
    box = mailbox.Maildir(tmp_path / "Maildir")
    assert all(box.get_message(k).get_subdir() == "cur" for k in box.iterkeys())  # read, and not read again


def test_an_html_mail_is_taken_as_its_text_without_scripts(mail_hub: Hub, tmp_path: Path) -> None:
    html = "<html><body><p>Hello,</p><script>alert('x')</script><p>the <b>lamp</b> flickers.</p></body></html>"
    deliver_mail(mail_hub, tmp_path, From="cy@example.com", Subject="Lamp", html=html)

    description = mail_hub.service.get("C-000001").description
    assert "Hello," in description and "lamp" in description and "alert" not in description and "<" not in description


def test_a_subject_cannot_smuggle_headers_into_the_reply(mail_hub: Hub, smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, _ = smtp
    # An encoded subject that decodes to a line break and a Bcc header: as a mail server would store it.
    raw = b"From: di@example.com\nSubject: =?utf-8?q?Hi=0D=0ABcc=3A_evil=40example=2Ecom?=\n\nx\n"
    mailbox.Maildir(tmp_path / "Maildir", create=True).add(raw)
    assert run_poller(mail_hub, mail_hub.pollers["email"], force=True).ok  # type: ignore[union-attr]

    settle_outbox(mail_hub)
    [sent] = inbox.messages
    subject = str(sent["Subject"])
    assert sent["Bcc"] is None and "\n" not in subject and "\r" not in subject
    assert subject == "[C-000001] Hi Bcc: evil@example.com"  # shown as the text it was


def test_a_refused_recipient_is_a_dead_letter_with_the_servers_answer(
    mail_hub: Hub, smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, _ = smtp
    inbox.refuse.add("gone@example.com")
    deliver_mail(mail_hub, tmp_path, From="gone@example.com", Subject="Hello", body="x")

    [row] = settle_outbox(mail_hub)
    assert row["status"] == "dead" and row["attempts"] == 1
    assert "550" in row["last_error"] and "gone@example.com" in row["last_error"]
