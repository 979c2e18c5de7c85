"""Jira: the product feedback loop, from customer feedback to a Jira issue and back.

Needs ``pip install "casehub[jira]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("jira", install="casehub[jira]")

from casehub.plugins.jira.hooks import settings_model  # noqa: E402

__all__ = ["settings_model"]
