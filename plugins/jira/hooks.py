"""Hook implementations of the Jira plugin."""

from __future__ import annotations

from casehub import hookimpl
from casehub.plugins.jira.settings import JiraSettings


@hookimpl
def settings_model() -> type[JiraSettings]:
    return JiraSettings
