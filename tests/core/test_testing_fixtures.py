"""The fixtures plugin authors get from casehub.testing, used exactly as docs/plugins.md shows."""

from __future__ import annotations

import types
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from casehub import hookimpl
from casehub.hub import Hub
from casehub.model import CaseDraft


def _vip_plugin() -> types.SimpleNamespace:
    class VipSettings(BaseModel):
        model_config = ConfigDict(extra="forbid")
        domains: list[str] = Field(default_factory=list)

    @hookimpl
    def settings_model() -> type[BaseModel]:
        return VipSettings

    @hookimpl
    def intake(draft: CaseDraft, hub: Hub) -> CaseDraft | None:
        settings = hub.settings.section("vip")
        if settings and (draft.contact.email or "").rsplit("@", 1)[-1] in settings.domains:
            return draft.model_copy(update={"tags": [*draft.tags, "vip"], "priority": "high"})
        return None

    return types.SimpleNamespace(settings_model=settings_model, intake=intake)


def test_make_hub_with_a_plugin_and_its_config_section(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub({"vip": {"domains": ["bigcorp.com"]}}, plugins={"vip": _vip_plugin()})

    vip = hub.service.create(CaseDraft(subject="Invoice", contact={"email": "cfo@bigcorp.com"}), actor="t")
    other = hub.service.create(CaseDraft(subject="Invoice", contact={"email": "a@small.org"}), actor="t")
    assert (vip.tags, vip.priority) == (["vip"], "high")
    assert (other.tags, other.priority) == ([], "normal")


def test_register_plugin_is_undone_after_the_test(hub: Hub, register_plugin: Callable[..., object]) -> None:
    register_plugin(_vip_plugin(), "vip")
    assert hub.plugins.enabled() == ["vip"]


def test_and_the_next_test_gets_a_clean_hub(hub: Hub) -> None:
    assert hub.plugins.enabled() == []
    assert hub.service.create(CaseDraft(subject="first"), actor="t").number == "C-000001"
