"""Hook implementations of the Webforms plugin."""

from __future__ import annotations

from casehub import hookimpl
from casehub.plugins.webforms.settings import WebformsSettings


@hookimpl
def settings_model() -> type[WebformsSettings]:
    return WebformsSettings
