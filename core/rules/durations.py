"""Durations as support leads write them: ``30m``, ``2h``, ``1.5d``, ``1w``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: object) -> timedelta:
    """Raise ValueError naming the value and the expected form."""
    match = _DURATION.match(str(text).strip())
    if not match or float(match[1]) <= 0:
        raise ValueError(f"expected a duration like 30m, 2h, 3d or 1w, got {text!r}")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])
