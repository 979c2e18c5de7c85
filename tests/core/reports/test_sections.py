"""Plugins add their own figures to the report (report_section); one that fails does not take the report down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from casehub import hookimpl
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.reports import Period, Scope, report
from casehub.store.tables import cases


class ChatFigures:
    @hookimpl
    def report_section(self, conn, period, scope):  # type: ignore[no-untyped-def]
        chats = select(func.count()).where(
            *scope.conditions(), cases.c.channel == "chat",
            cases.c.created_at >= period.since, cases.c.created_at < period.until,
        )  # fmt: skip
        return "chat", {"chats_started": conn.execute(chats).scalar_one()}


class Broken:
    @hookimpl
    def report_section(self) -> None:
        raise RuntimeError("the warehouse is down")


def test_a_plugin_section_is_counted_with_the_report_filters(hub: Hub, register_plugin: Callable[..., object]) -> None:
    register_plugin(ChatFigures(), "chat")
    register_plugin(Broken(), "warehouse")
    for channel, queue in (("chat", "sales"), ("chat", "support"), ("email", "sales")):
        hub.service.create(CaseDraft(subject="Hello", channel=channel, queue=queue), actor="test")
    now = datetime.now(UTC)
    period = Period(now - timedelta(hours=1), now + timedelta(hours=1))

    sections = report(hub, period, Scope())["sections"]
    assert sections["chat"] == {"chats_started": 2}
    assert sections["warehouse"] == {"error": "plugin warehouse: RuntimeError: the warehouse is down"}
    assert report(hub, period, Scope(queue="sales"))["sections"]["chat"] == {"chats_started": 1}
