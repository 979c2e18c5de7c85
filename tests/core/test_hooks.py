"""One behaviour test per hook: what a plugin author can rely on, including when their code raises."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import typer
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from casehub import hookimpl
from casehub.errors import ConfigError, IntakeRejected, PluginError
from casehub.host import PluginHost
from casehub.hub import Hub
from casehub.model import CaseDraft
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.store.tables import outbox


class CrmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    password: SecretStr


class CrmPlugin:
    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return CrmSettings


def host_with(*plugins: tuple[object, str]) -> PluginHost:
    host = PluginHost()
    for plugin, name in plugins:
        assert host.register(plugin, name).status == "enabled"
    return host


def test_settings_model_section_is_validated_overridable_and_secret(
    make_hub: Callable[..., Hub], monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from casehub.hub import build_hub

    monkeypatch.setenv("CASEHUB_CRM__PASSWORD", "from-the-env-secret")
    db = {"database_url": f"sqlite:///{tmp_path / 'x.db'}"}
    hub = build_hub({"casehub": db, "crm": {"url": "https://crm.example"}}, plugins=host_with((CrmPlugin(), "crm")))
    try:
        section = hub.settings.section("crm")
        assert (section.url, section.password.get_secret_value()) == ("https://crm.example", "from-the-env-secret")
        assert "from-the-env-secret" not in repr(hub.settings)
    finally:
        hub.close()
    with pytest.raises(ConfigError, match=r"\[crm\] colour: unknown key"):
        build_hub({"casehub": db, "crm": {"url": "u", "colour": "red"}}, plugins=host_with((CrmPlugin(), "crm")))


def test_startup_and_shutdown_run_once_and_a_failing_startup_names_the_plugin(make_hub: Callable[..., Hub]) -> None:
    calls: list[str] = []

    class Lifecycle:
        @hookimpl
        def startup(self, hub: Hub) -> None:
            calls.append("startup")

        @hookimpl
        def shutdown(self) -> None:
            calls.append("shutdown")
            raise RuntimeError("shutdown trouble is only logged")

    hub = make_hub(start=False)
    hub.plugins.register(Lifecycle(), "life")
    hub.start()
    hub.close()
    hub.close()
    assert calls == ["startup", "shutdown"]

    class Broken:
        @hookimpl
        def startup(self) -> None:
            raise ConnectionError("vendor unreachable")

    broken = make_hub(start=False)
    broken.plugins.register(Broken(), "broken")
    with pytest.raises(PluginError, match="plugin 'broken': hook startup failed: ConnectionError: vendor unreachable"):
        broken.start()


def test_routes_are_mounted_without_core_auth(hub: Hub, register_plugin: Callable[..., object], serve) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter(prefix="/hooks/echo")

    @router.post("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    class Routes:
        @hookimpl
        def routes(self) -> APIRouter:
            return router

    register_plugin(Routes(), "echo")
    with serve(hub) as client:
        response = client.post("/hooks/echo/ping", headers={"Authorization": ""})
    assert response.json() == {"pong": "yes"}


def test_actions_and_pollers_are_registered_with_their_plugin_and_clashes_name_both() -> None:
    class Params(BaseModel):
        channel: str

    class Slackish:
        @hookimpl
        def register_actions(self, register: Callable[..., None]) -> None:
            register("notify", Params, lambda hub, case, params: None)

        @hookimpl
        def register_pollers(self, register: Callable[..., None]) -> None:
            register("slack-changes", 30, lambda hub, watermark: watermark)

    class Other:
        @hookimpl
        def register_actions(self, register: Callable[..., None]) -> None:
            register("notify", Params, lambda hub, case, params: None)

    def build(name: str, *args: object) -> tuple[object, ...]:
        return args

    host = host_with((Slackish(), "slackish"))
    actions = host.actions(build)
    assert [(a.name, a.plugin) for a in actions] == [("notify", "slackish")]
    assert actions["notify"].value[0] is Params
    pollers = host.pollers(build)
    assert [(p.name, p.plugin, p.value[0]) for p in pollers] == [("slack-changes", "slackish", 30)]

    clash = host_with((Slackish(), "slackish"), (Other(), "other"))
    with pytest.raises(PluginError) as caught:
        clash.actions(build)
    assert "'notify' is already registered by plugin" in str(caught.value)
    assert {"slackish", "other"} <= set(str(caught.value).replace("'", " ").split())


def test_intake_enriches_rejects_and_survives_a_broken_plugin(
    hub: Hub, register_plugin: Callable[..., object], caplog: pytest.LogCaptureFixture
) -> None:
    class Enricher:
        @hookimpl
        def intake(self, draft: CaseDraft) -> CaseDraft:
            return draft.model_copy(update={"tags": [*draft.tags, "enriched"], "queue": "tier1"})

    class Broken:
        @hookimpl
        def intake(self, draft: CaseDraft) -> CaseDraft:
            raise KeyError("bug in an enricher")

    class SpamFilter:
        @hookimpl
        def intake(self, draft: CaseDraft) -> None:
            if "viagra" in draft.subject.lower():
                raise IntakeRejected("spamfilter", "looks like spam")

    for plugin, name in ((Enricher(), "enricher"), (Broken(), "broken"), (SpamFilter(), "spamfilter")):
        register_plugin(plugin, name)

    with caplog.at_level(logging.ERROR):
        case = hub.service.create(CaseDraft(subject="Printer broken"), actor="t")
    assert (case.tags, case.queue) == (["enriched"], "tier1")
    assert any("plugin broken failed in hook intake" in r.getMessage() for r in caplog.records)
    with pytest.raises(IntakeRejected, match="rejected by plugin 'spamfilter': looks like spam"):
        hub.service.create(CaseDraft(subject="Cheap VIAGRA"), actor="t")


def test_plan_deliveries_rows_land_with_the_change_and_a_failure_is_recorded_on_the_case(
    hub: Hub, register_plugin: Callable[..., object]
) -> None:
    class Planner:
        @hookimpl
        def plan_deliveries(self, event, case):  # type: ignore[no-untyped-def]
            return [Delivery(destination="crm", action="upsert", key="case", payload={"number": case.number})]

    class Broken:
        @hookimpl
        def plan_deliveries(self, event):  # type: ignore[no-untyped-def]
            raise ValueError("cannot plan")

    register_plugin(Planner(), "crm")
    register_plugin(Broken(), "broken")
    case = hub.service.create(CaseDraft(subject="hi"), actor="t")

    with hub.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.destination, outbox.c.payload)).all()
    assert [(r.destination, r.payload) for r in rows] == [("crm", {"number": case.number})]
    failed = [e for e in hub.service.events(case.id) if e.type == "plugin.failed"]
    assert [(e.data["plugin"], e.data["hook"], e.data["error"]) for e in failed] == [
        ("broken", "plan_deliveries", "ValueError: cannot plan")]


def test_event_committed_sees_committed_events_and_one_failure_does_not_stop_the_rest(
    hub: Hub, register_plugin: Callable[..., object], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, int]] = []

    class Broken:
        @hookimpl
        def event_committed(self, event):  # type: ignore[no-untyped-def]
            raise RuntimeError("observer bug")

    class Watcher:
        @hookimpl
        def event_committed(self, event, case, hub):  # type: ignore[no-untyped-def]
            # Committed: a fresh connection already sees the case.
            seen.append((event.type, hub.service.get(case.id).version))

    register_plugin(Broken(), "broken")
    register_plugin(Watcher(), "watcher")
    with caplog.at_level(logging.ERROR):
        case = hub.service.create(CaseDraft(subject="hi"), actor="t")
        hub.service.set_status(case.id, "open", actor="t")
    assert seen == [("case.created", 1), ("case.updated", 2), ("case.status_changed", 2)]
    assert sum("plugin broken failed in hook event_committed" in r.getMessage() for r in caplog.records) == 3


def test_deliver_is_answered_by_the_plugin_that_owns_the_destination(hub: Hub, register_plugin: Callable[..., object]) -> None:
    class Crm:
        @hookimpl
        def deliver(self, item: OutboxItem) -> DeliveryResult | None:
            if item.destination != "crm":
                return None
            return DeliveryResult(remote_id=f"500{item.id}", remote_url="https://crm.example/500")

    register_plugin(Crm(), "crm")
    item = OutboxItem(id=7, case_id="c", event_id=1, destination="crm", key="", action="upsert", payload={},
                      idempotency_key="1:crm:upsert::0", attempts=0, created_at=datetime.now(UTC))
    assert hub.plugins.deliver(item, hub) == DeliveryResult(remote_id="5007", remote_url="https://crm.example/500")
    assert hub.plugins.deliver(OutboxItem(**{**item.__dict__, "destination": "jira"}), hub) is None


def test_cli_commands_are_added_and_a_broken_one_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    class Greets:
        @hookimpl
        def cli_commands(self, app: typer.Typer) -> None:
            sub = typer.Typer()

            @sub.command()
            def hello(name: str) -> None:
                typer.echo(f"hello {name}")

            app.add_typer(sub, name="greet")

    class Broken:
        @hookimpl
        def cli_commands(self, app: typer.Typer) -> None:
            raise RuntimeError("no commands today")

    from casehub.cli import build_cli

    with caplog.at_level(logging.ERROR):
        app = build_cli(host_with((Greets(), "greets"), (Broken(), "broken")))
    result = CliRunner().invoke(app, ["greet", "hello", "Ada"])
    assert result.output == "hello Ada\n"
    assert any("plugin broken failed in hook cli_commands" in r.getMessage() for r in caplog.records)
