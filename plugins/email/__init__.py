"""Email: mail to the support address becomes cases and replies; public replies go back by mail, threaded.

The example of docs/email-plugin.md, which builds it step by step. Only the
standard library's email, mailbox and smtplib: no extra to install.
"""

from casehub.plugins.email.hooks import deliver, plan_deliveries, register_pollers, settings_model

__all__ = ["deliver", "plan_deliveries", "register_pollers", "settings_model"]
