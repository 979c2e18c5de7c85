"""Web forms: Web-to-Case intake from a company's website (no vendor SDK needed)."""

from casehub.plugins.webforms.hooks import routes, settings_model

__all__ = ["routes", "settings_model"]
