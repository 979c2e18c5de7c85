"""Hook implementations of the Slack plugin."""

from __future__ import annotations

from casehub import hookimpl
from casehub.plugins.slack.settings import SlackSettings


@hookimpl
def settings_model() -> type[SlackSettings]:
    return SlackSettings
