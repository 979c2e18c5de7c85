"""What ``casehub check`` says about the org: can casehub log in, and does Case have every field and value it maps to.

Found at 3 a.m. otherwise: a mapped field that does not exist or is not
writable fails every push of every case (each a dead letter); a status value
the org's picklist lacks fails only the cases that reach that status.
"""

from __future__ import annotations

from typing import Any

from simple_salesforce.exceptions import SalesforceError

from casehub.plugins.salesforce.client import LoginFailed, SalesforceClient
from casehub.plugins.salesforce.settings import SalesforceSettings

__all__ = ["check"]

# Case fields the built-in mapping writes, and the casehub setting that decides their values.
_WRITTEN = ["Subject", "Description", "Status", "Priority", "Origin", "IsEscalated", "SuppliedName", "SuppliedEmail",
            "SuppliedPhone", "SuppliedCompany", "ContactId", "AccountId"]  # fmt: skip
_PICKLISTS = {"Status": "status_map", "Priority": "priority_map", "Origin": "origin_map"}


def check(settings: SalesforceSettings) -> list[tuple[bool, str]]:
    """(ok, message) lines; never writes to the org."""
    client = SalesforceClient(settings)
    try:
        describe = client.call(lambda sf: sf.Case.describe())
        comment = client.call(lambda sf: sf.CaseComment.describe())
        client.call(lambda sf: sf.limits())  # reports usage in Sforce-Limit-Info
    except LoginFailed as exc:
        return [(False, f"salesforce: {exc}")]
    except SalesforceError as exc:
        return [(False, f"salesforce: {settings.instance_url} answered {exc.status}: {_message(exc.content)}")]
    except OSError as exc:  # requests' connection and TLS errors
        return [(False, f"salesforce: cannot reach {settings.instance_url}: {type(exc).__name__}")]
    usage = client.usage
    lines = [(True, f"salesforce: logged in to {settings.instance_url} ({settings.flow}); "
                    f"API requests today: {usage.used}/{usage.limit}")]  # fmt: skip
    fields = {f["name"].lower(): f for f in describe["fields"]}
    problems = _fields(settings, fields)
    problems += _values(settings, fields)
    if not comment.get("createable", True):
        problems.append("CaseComment: not createable by this user (replies and notes cannot be pushed)")
    if problems:
        lines += [(False, f"salesforce: {p}") for p in problems]
    else:
        lines.append((True, f"salesforce: Case has every mapped field and value ({len(settings.fields)} extra fields)"))
    return lines


def _message(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return str(content)[:200]


def _fields(settings: SalesforceSettings, fields: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    key = fields.get(settings.external_id_field.lower())
    if key is None:
        problems.append(f"Case.{settings.external_id_field} (external_id_field) does not exist: "
                        "create it as Text(255), External ID, Unique")  # fmt: skip
    elif not key.get("externalId"):
        problems.append(f"Case.{settings.external_id_field} (external_id_field) is not marked External ID")
    wanted: list[tuple[str, str, bool]] = [(name, "built-in mapping", True) for name in _WRITTEN]
    for ours, mapped in settings.fields.items():
        wanted.append((mapped.field, f"fields.{ours}", mapped.direction != "pull"))
    for name, why, written in wanted:
        found = fields.get(name.lower())
        if found is None:
            problems.append(f"Case.{name} ({why}) does not exist")
        elif written and not (found.get("createable") and found.get("updateable")):
            problems.append(f"Case.{name} ({why}) is not writable by this user")
    return problems


def _values(settings: SalesforceSettings, fields: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for field_name, setting in _PICKLISTS.items():
        found = fields.get(field_name.lower())
        if found is None:
            continue
        allowed = {v["value"] for v in found.get("picklistValues", []) if v.get("active", True)}
        for ours, theirs in getattr(settings, setting).items():
            if allowed and theirs not in allowed:
                problems.append(f"{setting}.{ours} = {theirs!r} is not a value of Case.{field_name} "
                                f"(it has {', '.join(sorted(allowed))})")  # fmt: skip
    return problems
