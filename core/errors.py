"""Every error casehub raises on purpose, so callers can catch by meaning.

The tree::

    CasehubError
    ├── ConfigError                 a config or rules file is wrong (file, key, line, expected)
    ├── PluginError                 a plugin misbehaved; carries ``plugin``
    │   └── PluginUnavailable       its extra is not installed; carries the pip command
    ├── StoreError
    │   └── DatabaseNotReady        the schema is missing or behind: run ``casehub db upgrade``
    └── CaseError                   a command on a case was refused
        ├── CaseNotFound            404
        ├── InvalidTransition       409: current status, requested, allowed ones
        ├── VersionConflict         409: the version the caller read is stale
        └── IntakeRejected          422: a plugin's intake hook refused a new case

Messages say how to fix the problem. None of them contains a secret: settings
are ``SecretStr`` and are never formatted into an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CasehubError",
    "CaseError",
    "CaseNotFound",
    "ConfigError",
    "ConfigIssue",
    "DatabaseNotReady",
    "IntakeRejected",
    "InvalidTransition",
    "PluginError",
    "PluginUnavailable",
    "StoreError",
    "VersionConflict",
]


class CasehubError(Exception):
    """Base of every error casehub raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file: where it is and what was expected."""

    source: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.key}: {self.message}"


class ConfigError(CasehubError):
    """A config or rules file cannot be used; lists every problem found, not just the first."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class PluginError(CasehubError):
    """A plugin failed; the message names it so the report reaches the right people."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}")


class PluginUnavailable(PluginError):
    """A plugin cannot load because a package it needs is not installed."""

    def __init__(self, plugin: str, missing: str, pip_command: str) -> None:
        self.missing = missing
        self.pip_command = pip_command
        super().__init__(plugin, f"needs {missing!r}, which is not installed: {pip_command}")


class StoreError(CasehubError):
    """The database cannot serve the request."""


class DatabaseNotReady(StoreError):
    """The schema is missing or older than this casehub."""


class CaseError(CasehubError):
    """A command on a case was refused; ``code`` is stable for API clients."""

    code = "case_error"


class CaseNotFound(CaseError):
    code = "not_found"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"no case {ref!r}")


class InvalidTransition(CaseError):
    code = "invalid_transition"

    def __init__(self, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.current = str(current)
        self.requested = str(requested)
        self.allowed = sorted(str(a) for a in allowed)
        allowed_text = ", ".join(self.allowed) or "none (the case is final)"
        super().__init__(
            f"cannot change status from {self.current!r} to {self.requested!r}; "
            f"allowed from {self.current!r}: {allowed_text}"
        )


class VersionConflict(CaseError):
    code = "version_conflict"

    def __init__(self, case_ref: str, expected: int, current: int) -> None:
        self.case_ref = case_ref
        self.expected = expected
        self.current = current
        super().__init__(
            f"case {case_ref} was changed by someone else: you sent version {expected}, "
            f"it is now at version {current}; read it again and re-apply your change"
        )


class IntakeRejected(CaseError):
    code = "intake_rejected"

    def __init__(self, plugin: str, reason: str) -> None:
        self.plugin = plugin
        self.reason = reason
        super().__init__(f"rejected by plugin {plugin!r}: {reason}")
