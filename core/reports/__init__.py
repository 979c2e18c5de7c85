"""Service KPIs from the event log: the figures behind ``casehub report``, ``/api/v1/reports`` and ``/dashboard``."""

from casehub.reports.period import Period
from casehub.reports.scope import DIMENSIONS, Scope
from casehub.reports.summary import FIGURES, build

__all__ = ["DIMENSIONS", "FIGURES", "Period", "Scope", "build"]
