"""Salesforce Service Cloud: two-way case sync through simple-salesforce.

Needs ``pip install "casehub[salesforce]"``; without it the plugin is listed as
unavailable with that command, and the rest of casehub runs.
"""

from casehub import require

require("simple_salesforce", install="casehub[salesforce]")

from casehub.plugins.salesforce.hooks import settings_model  # noqa: E402

__all__ = ["settings_model"]
