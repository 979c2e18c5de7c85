"""Hook implementations of the Salesforce plugin."""

from __future__ import annotations

from casehub import hookimpl
from casehub.plugins.salesforce.settings import SalesforceSettings


@hookimpl
def settings_model() -> type[SalesforceSettings]:
    return SalesforceSettings
