"""A casehub that sends a CSAT survey when a case is resolved, served on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from casehub.hub import Hub
from casehub.model import Case, CaseDraft, Contact, Event, Status
from casehub.testing import Clock, run_server

SECRET = "test-csat-secret-0123456789"
PUBLIC_URL = "https://support.example.com/desk"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

RULES = """
triggers:
  - name: survey on resolution
    on: [case.status_changed]
    all:
      - {field: status, eq: resolved}
    actions:
      - send_csat_survey:
  - name: answered
    on: [csat.received]
    actions:
      - add_tag: csat-answered
"""


@dataclass
class Desk:
    """The hub, its clock, and an anonymous browser-like client for its public pages."""

    hub: Hub
    clock: Clock
    client: httpx.Client

    def resolved_case(self, subject: str = "Printer on fire") -> Case:
        draft = CaseDraft(subject=subject, contact=Contact(name="Ada", email="ada@example.com"))
        case = self.hub.service.create(draft, actor="test")
        self.hub.service.set_status(case.id, Status.OPEN, "agent")
        return self.hub.service.set_status(case.id, Status.RESOLVED, "agent")

    def events(self, case: Case, type_: str | None = None) -> list[Event]:
        found = self.hub.service.events(case.id)
        return [e for e in found if type_ is None or e.type == type_]

    def survey_path(self, case: Case) -> str:
        """The path of the last survey link sent in a public reply to ``case``."""
        replies = [e for e in self.events(case, "comment.added") if e.data["public"] and "/csat/" in e.data["body"]]
        url = re.search(r"https://\S+", replies[-1].data["body"])
        assert url is not None and url.group().startswith(f"{PUBLIC_URL}/csat/")
        return url.group().removeprefix(PUBLIC_URL)


@pytest.fixture
def make_desk(make_hub: Callable[..., Hub], tmp_path: Path, any_database_url: str) -> Iterator[Callable[..., Desk]]:
    with ExitStack() as stack:

        def make(rules: str = RULES, csat: dict[str, Any] | None = None) -> Desk:
            path = tmp_path / "rules.yaml"
            path.write_text(textwrap.dedent(rules))
            clock = Clock(START)
            config = {
                "casehub": {"public_url": PUBLIC_URL},
                "rules": {"file": str(path)},
                "csat": {"secret": SECRET, **(csat or {})},
            }
            hub = make_hub(config, database_url=any_database_url, clock=clock)
            live = stack.enter_context(run_server(hub))
            client = stack.enter_context(httpx.Client(base_url=live.url, timeout=30))  # no bearer token: public pages
            return Desk(hub, clock, client)

        yield make


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()
