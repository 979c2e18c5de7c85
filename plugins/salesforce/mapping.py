"""casehub's case ↔ Salesforce's Case record: which field goes where, and what a pulled record changes.

Push builds the record from the case as it is when the delivery runs, not as
it was when the change was made: a retried or delayed push never writes an
older value over a newer one. Pull turns a Case record into the casehub
changes it implies; a value that casehub's own value already maps to is no
change (``Working`` does not move a case from ``pending`` to ``open``), which is
also what keeps casehub's own pushes from echoing back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from casehub.model import Case, CaseType

__all__ = ["ALL", "FIELD_READERS", "pulled_changes", "record_for", "sf_fields_to_read"]

ALL = "*"  # a push of every mapped field (a new case, a back-fill)

# casehub fields that can be mapped beyond the built-in ones, and how to read them from a case.
FIELD_READERS: dict[str, Callable[[Case], Any]] = {
    "type": lambda c: str(c.type),
    "tags": lambda c: ";".join(c.tags),  # a multi-select picklist's format
    "queue": lambda c: c.queue,
    "owner": lambda c: c.owner,
    "account.tier": lambda c: c.account.tier if c.account else None,
}

def _read(case: Case, name: str) -> Any:
    if name.startswith("custom."):
        return case.custom_fields.get(name.removeprefix("custom."))
    return FIELD_READERS[name](case)


def record_for(case: Case, settings: Any, fields: Iterable[str] | str = ALL) -> dict[str, Any]:
    """The Case record to upsert for ``fields`` (casehub field names that changed, or ``ALL``)."""
    wanted = None if fields == ALL else set(fields)
    record: dict[str, Any] = {}

    def put(name: str, values: dict[str, Any]) -> None:
        if wanted is None or name in wanted:
            record.update(values)

    put("subject", {"Subject": case.subject[:255]})
    put("description", {"Description": case.description})
    put("status", {"Status": settings.status_map.get(case.status)})
    put("priority", {"Priority": settings.priority_map.get(case.priority)})
    if case.channel in settings.origin_map:
        put("channel", {"Origin": settings.origin_map[case.channel]})
    put("is_escalated", {"IsEscalated": case.is_escalated})
    contact = case.contact
    put("contact", {"SuppliedName": contact.name, "SuppliedEmail": contact.email, "SuppliedPhone": contact.phone})
    put("account", {"SuppliedCompany": case.account.name if case.account else None})
    for name, mapped in settings.fields.items():
        if mapped.direction != "pull" and (wanted is None or name in wanted or _custom_changed(name, wanted)):
            record[mapped.field] = _read(case, name)
    # A new record leaves empty fields to the org's defaults; a change may clear a field.
    return {k: v for k, v in record.items() if v is not None or wanted is not None}


def _custom_changed(name: str, wanted: set[str]) -> bool:
    return name.startswith("custom.") and "custom_fields" in wanted


def sf_fields_to_read(settings: Any) -> list[str]:
    """The Case fields a pull selects."""
    pulled = [m.field for m in settings.fields.values() if m.direction != "push"]
    base = ["Id", "CaseNumber", "Status", "Priority", "IsEscalated", "LastModifiedById", "SystemModstamp"]
    return list(dict.fromkeys([*base, settings.external_id_field, *pulled]))


def _back(mapping: dict[Any, str], sf_value: Any, current: Any) -> Any:
    """The casehub value for a Salesforce value: none if casehub's value already maps to it, or nothing does."""
    if sf_value is None or mapping.get(current) == sf_value:
        return None
    for ours, theirs in mapping.items():
        if theirs == sf_value:
            return ours
    return None


def pulled_changes(case: Case, record: dict[str, Any], settings: Any, *, keep: set[str] = frozenset()) -> dict[str, Any]:
    """The casehub changes a Case record implies; ``keep``: casehub fields whose casehub value wins this time."""
    changes: dict[str, Any] = {}
    status = _back(settings.status_map, record.get("Status"), case.status)
    if status is not None:
        changes["status"] = status
    priority = _back(settings.priority_map, record.get("Priority"), case.priority)
    if priority is not None:
        changes["priority"] = priority
    if record.get("IsEscalated") is not None and bool(record["IsEscalated"]) != case.is_escalated:
        changes["is_escalated"] = bool(record["IsEscalated"])
    custom: dict[str, Any] = {}
    for name, mapped in settings.fields.items():
        if mapped.direction == "push" or name in keep or mapped.field not in record:
            continue
        value = record[mapped.field]
        if name.startswith("custom."):
            key = name.removeprefix("custom.")
            if case.custom_fields.get(key) != value:
                custom[key] = value
        elif name == "tags":
            tags = [t for t in (value or "").split(";") if t]
            if tags != case.tags:
                changes["tags"] = tags
        elif name == "type":
            if value in CaseType.__members__.values() and value != str(case.type):
                changes["type"] = value
        elif name in ("queue", "owner") and value != getattr(case, name):
            changes[name] = value
    if custom:
        changes["custom_fields"] = {**case.custom_fields, **custom}
    return {k: v for k, v in changes.items() if k not in keep}
