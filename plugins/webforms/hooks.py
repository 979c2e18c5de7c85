"""Hook implementations of the Webforms plugin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from casehub import hookimpl
from casehub.plugins.webforms.routes import build_router
from casehub.plugins.webforms.settings import WebformsSettings


@hookimpl
def settings_model() -> type[WebformsSettings]:
    return WebformsSettings


@hookimpl
def routes(hub: Any) -> APIRouter | None:
    settings = hub.settings.section("webforms")
    return build_router(settings, hub) if settings is not None and settings.forms else None
