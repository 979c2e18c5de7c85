"""Salesforce Service Cloud: two-way case sync through simple-salesforce.

Needs ``pip install "casehub[salesforce]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("simple_salesforce", install="casehub[salesforce]")

from casehub.plugins.salesforce.hooks import (  # noqa: E402
    check_vendor,
    cli_commands,
    deliver_batch,
    delivery_batch_size,
    plan_deliveries,
    register_pollers,
    settings_model,
)

__all__ = [
    "check_vendor",
    "cli_commands",
    "deliver_batch",
    "delivery_batch_size",
    "plan_deliveries",
    "register_pollers",
    "settings_model",
]
