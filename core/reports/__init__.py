"""Service KPIs from the event log: the figures behind ``casehub report``, ``/api/v1/reports`` and ``/dashboard``."""

from casehub.reports.period import Period
from casehub.reports.scope import DIMENSIONS, Scope
from casehub.reports.summary import FIGURES, build
from casehub.reports.views import dashboard, report

__all__ = ["DIMENSIONS", "FIGURES", "Period", "Scope", "build", "dashboard", "report"]
