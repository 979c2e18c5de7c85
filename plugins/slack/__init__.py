"""Slack: team notifications people act on (threads per case, buttons, digests), through slack-sdk.

Needs ``pip install "casehub[slack]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("slack_sdk", install="casehub[slack]")

from casehub.plugins.slack.hooks import (  # noqa: E402
    check_vendor,
    deliver_batch,
    delivery_batch_size,
    delivery_defaults,
    plan_deliveries,
    register_actions,
    routes,
    settings_model,
)

__all__ = [
    "check_vendor",
    "deliver_batch",
    "delivery_batch_size",
    "delivery_defaults",
    "plan_deliveries",
    "register_actions",
    "routes",
    "settings_model",
]
