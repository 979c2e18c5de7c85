"""Jira: the product feedback loop — feedback to one issue per request, and its outcome back to every customer.

Needs ``pip install "casehub[jira]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("jira", install="casehub[jira]")

from casehub.plugins.jira.hooks import (  # noqa: E402
    check_vendor,
    cli_commands,
    deliver_batch,
    delivery_batch_size,
    delivery_defaults,
    register_actions,
    register_pollers,
    report_section,
    routes,
    settings_model,
)

__all__ = [
    "check_vendor",
    "cli_commands",
    "deliver_batch",
    "delivery_batch_size",
    "delivery_defaults",
    "register_actions",
    "register_pollers",
    "report_section",
    "routes",
    "settings_model",
]
