"""Slack: team notifications with threads, buttons and flood control, through slack-sdk.

Needs ``pip install "casehub[slack]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("slack_sdk", install="casehub[slack]")

from casehub.plugins.slack.hooks import settings_model  # noqa: E402

__all__ = ["settings_model"]
