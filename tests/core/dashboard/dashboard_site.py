"""What the dashboard tests share: the tokens, the hostile subject, and the served week (``Site``).

A module of its own, not the conftest: ``from conftest import ...`` finds
whichever conftest pytest loaded last when several test folders are run at once.
The week itself (tests/core/reports/week.py) is shared with the KPI tests, so
the page is checked on figures someone worked out by hand.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from casehub.hub import Hub
from casehub.model import CaseDraft, Contact
from casehub.testing import TEST_TOKEN, LiveServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from week import RULES, Week, at  # noqa: E402  (the module lives with the report tests)

__all__ = ["CHROMIUM", "DESK", "FLAGS", "HOSTILE", "READER", "RULES", "TOKENS", "Site", "Week", "at", "at_risk_case"]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

DESK = "desk-token-0123456789abcdef"
READER = "grafana-token-0123456789abc"
HOSTILE = "<script>alert(1)</script>"
TOKENS = [TEST_TOKEN, {"name": "desk", "token": DESK}, {"name": "grafana", "token": READER, "read_only": True}]


@dataclass
class Site:
    week: Week
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, **query: str) -> dict[str, Any]:
        """What ``GET /api/v1/reports/dashboard`` answers for ``query``: the figures the page must show."""
        answer = httpx.get(f"{self.url}/api/v1/reports/dashboard", params=query,
                           headers={"Authorization": f"Bearer {READER}"}, timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def at_risk_case(hub: Hub, subject: str, queue: str) -> str:
    draft = CaseDraft(subject=subject, queue=queue, channel="web", contact=Contact(email="x@customer.example.com"))
    return hub.service.create(draft, actor="web").number
