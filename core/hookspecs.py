"""The hooks a casehub plugin can implement.

A plugin is a module (or object) with functions marked ``@casehub.hookimpl``
whose names match the specs below. An implementation may accept fewer
parameters than the spec lists, so new parameters can be added without
breaking plugins. Only :class:`casehub.host.PluginHost` calls hooks; observer
hooks are called one implementation at a time so a failure is logged with the
plugin's name and does not stop the others.

Hooks are grouped by lifecycle: configuration, start and stop, HTTP, rules,
intake, events, delivery, polling, reports, CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from pydantic import BaseModel
    from sqlalchemy import Connection

    from casehub.hub import Hub
    from casehub.model import Case, CaseDraft, Event
    from casehub.outbox import Delivery, DeliveryResult, OutboxItem
    from casehub.reports import Period, Scope
    from casehub.settings import CoreSettings

PROJECT = "casehub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------


@hookspec(firstresult=True)
def settings_model() -> type[BaseModel] | None:
    """Return the pydantic model of this plugin's config section.

    The section is named after the plugin's entry-point name (``[salesforce]``
    for the ``salesforce`` plugin) and every key in it can be overridden with
    ``CASEHUB_<SECTION>__<KEY>``. Use ``model_config = ConfigDict(extra="forbid")``
    so a misspelt key is reported by ``casehub check``, ``SecretStr`` for
    secrets, and ``Field(description=...)`` so the config reference documents
    each key.

    Called once per plugin while settings are built, before anything starts.
    ``firstresult``: the host calls each plugin's implementation on its own,
    so each plugin contributes at most one section.

    :returns: the model class, or ``None`` if the plugin takes no config.

    If it raises, the plugin is recorded as *failed* with the error and its
    section is unknown, so a config that has the section fails ``check``.
    """


# --------------------------------------------------------------------------
# start and stop
# --------------------------------------------------------------------------


@hookspec
def startup(hub: Hub) -> None:
    """Prepare long-lived resources (clients, caches) when casehub starts.

    :param hub: the running hub; ``hub.settings.section(name)`` is this plugin's config.

    Called once in every process that serves requests or runs workers, after
    the database is ready and before the first request. If it raises, start-up
    stops with an error naming the plugin: a broken connector is found at
    start, not on the first case at 3 a.m.
    """


@hookspec
def shutdown(hub: Hub) -> None:
    """Release what :func:`startup` opened.

    :param hub: the hub being stopped.

    Called once when the process stops, in every plugin even if one raises; an
    error is logged with the plugin's name.
    """


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------


@hookspec
def routes(hub: Hub) -> APIRouter | None:
    """Mount HTTP routes: public forms under ``/forms/...``, vendor webhooks under ``/hooks/<plugin>/...``.

    :param hub: the hub the app serves.
    :returns: a FastAPI ``APIRouter`` with its own ``prefix``, or ``None``.

    Called once while the web app is built. The core adds no authentication to
    these routes: a webhook must verify its vendor's signature itself. If it
    raises, building the app fails with the plugin's name.
    """


# --------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------


@hookspec
def register_actions(register: Callable[..., None]) -> None:
    """Offer actions that rules can run (``notify_slack``, ``create_jira_issue``, ...).

    :param register: call ``register(name, params_model, plan=None)`` once per
        action. ``params_model`` is a pydantic model validating the action's
        params in the rules file at load time. When a rule runs the action, it
        becomes an outbox delivery to this plugin (destination = the plugin's
        name, action = ``name``, payload ``{"params": ..., "rule": ...}``),
        written in the transaction of the change, and made later by the
        plugin's :func:`deliver`. ``plan(case, params)`` may return the
        deliveries itself (to set a ``key`` such as a Slack channel, so rate
        limits and order apply per key); it must do no I/O. Registering a name
        another plugin already registered is an error naming both plugins.

    Called once at start. If it raises, start-up stops naming the plugin.
    """


# --------------------------------------------------------------------------
# intake
# --------------------------------------------------------------------------


@hookspec
def intake(draft: CaseDraft, hub: Hub) -> CaseDraft | None:
    """Validate, enrich or refuse a new case before it is stored.

    :param draft: the case as the channel handed it in, already validated
        against :class:`casehub.model.CaseDraft`, and as changed by the
        plugins called before this one.
    :param hub: the hub; use it for look-ups, not for writes.
    :returns: a changed draft (for example with tags or a queue added), or
        ``None`` to leave it as it is.

    Called once per new case, one plugin at a time in load order, before the
    transaction that stores it. Raise :class:`casehub.errors.IntakeRejected`
    to refuse the case (the channel answers 422 with the reason). If it raises
    anything else, the error is logged with the plugin's name and the case is
    taken in unchanged by that plugin: a broken enricher must not lose a case.
    """


# --------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------


@hookspec
def plan_deliveries(event: Event, case: Case, hub: Hub) -> list[Delivery] | None:
    """Say which external calls an event causes; they are written to the outbox.

    :param event: the event just appended to the log.
    :param case: the case as it is after the event.
    :param hub: the running hub (its settings tell whether the plugin is configured).
    :returns: :class:`casehub.outbox.Delivery` records (destination, key,
        action, payload), or ``None``.

    Called inside the transaction that writes the event, so the deliveries are
    stored if and only if the change is: nothing is lost and nothing is sent
    for a change that was rolled back. Do no I/O here. If it raises, the error
    is logged and recorded on the case as a ``plugin.failed`` event, and the
    change is still stored.
    """


@hookspec
def event_committed(event: Event, case: Case, hub: Hub) -> None:
    """Observe an event after its transaction committed.

    :param event: the committed event.
    :param case: the case as it is after the event.
    :param hub: the hub.

    Called once per event, one plugin at a time, after commit. It must not be
    the only record of anything (use :func:`plan_deliveries` for work that must
    happen); if it raises, the error is logged with the plugin's name and the
    request that caused the event still succeeds.
    """


# --------------------------------------------------------------------------
# delivery
# --------------------------------------------------------------------------


@hookspec(firstresult=True)
def deliver(item: OutboxItem, hub: Hub) -> DeliveryResult | None:
    """Perform one outbox delivery against the vendor.

    :param item: the stored delivery, with its ``idempotency_key`` and the
        number of attempts made so far.
    :param hub: the hub.
    :returns: a :class:`casehub.outbox.DeliveryResult` if this plugin owns
        ``item.destination``, else ``None``. Stops at the first non-``None``
        result. When no plugin answers, the delivery is offered to
        :func:`deliver_batch` as a batch of one, so a plugin that takes
        batches needs no ``deliver`` of its own.

    Called by delivery workers outside any database transaction, at least
    once per delivery: use ``item.idempotency_key`` with the vendor (upsert
    keys, stored remote ids) so a retry does not create a duplicate. If it
    raises, the attempt is classified by :mod:`casehub.delivery.outcome`: HTTP
    408, 429, 5xx, timeouts and connection errors are retried with backoff (or
    after the vendor's ``Retry-After``); other 4xx responses, and
    :class:`~casehub.delivery.outcome.DeliveryFailed` with ``permanent=True``,
    become dead letters at once.
    """


@hookspec(firstresult=True)
def delivery_batch_size(destination: str) -> int | None:
    """Say that this plugin's executor takes batches, and how large.

    :param destination: a destination name (a plugin's name).
    :returns: the largest batch for :func:`deliver_batch` (Salesforce sObject
        Collections: 200; Jira bulk create: 50) if this plugin owns
        ``destination``, else ``None`` (one delivery per call).

    Asked once per destination per worker. ``[outbox.destinations.<name>]
    batch_size`` in the config overrides the answer. If it raises, the worker
    logs it and delivers to that destination one at a time.
    """


@hookspec(firstresult=True)
def delivery_defaults(destination: str) -> dict[str, Any] | None:
    """Say what limits a vendor needs, so users do not have to know them.

    :param destination: a destination name (a plugin's name).
    :returns: keys of ``[outbox.destinations.<name>]`` (``rate``, ``burst``,
        ``per_key``, ``max_concurrency``, ``max_attempts``, ``backoff_base``,
        ``backoff_cap``, ``batch_size``) if this plugin owns ``destination``,
        else ``None``. Slack: ``{"rate": 1, "per_key": True}`` — one message
        per second per channel.

    Asked once per destination per worker; the config overrides any key. If
    it raises, or returns a key that does not exist, the worker logs it and
    uses the config alone.
    """


@hookspec(firstresult=True)
def deliver_batch(items: list[OutboxItem], hub: Hub) -> list[DeliveryResult] | None:
    """Perform several deliveries to one destination in one vendor request.

    :param items: up to :func:`delivery_batch_size` deliveries of one
        destination and key, each the oldest open one of its case, so they may
        run together without breaking any case's order.
    :param hub: the hub.
    :returns: one :class:`casehub.outbox.DeliveryResult` per item, in the same
        order, if this plugin owns the destination, else ``None``.

    A partial failure is reported per item: only the failed items are retried.
    If it raises, every item in the batch counts as failed, classified as for
    :func:`deliver`.
    """


# --------------------------------------------------------------------------
# polling
# --------------------------------------------------------------------------


@hookspec
def register_pollers(register: Callable[..., None], settings: CoreSettings | None) -> None:
    """Offer pollers that bring vendor-side changes back into casehub.

    :param settings: the loaded settings (``settings.section("<plugin>")``
        for the plugin's own; an interval may come from there), or ``None``
        when ``casehub check`` found them invalid.
    :param register: call ``register(name, interval_seconds, poll,
        lease_seconds=600)`` once per poller. ``poll(hub, watermark)`` fetches
        changes since ``watermark`` (``None`` the first time), applies them and
        returns the new watermark as a string (``None`` keeps the old one),
        which is stored only after it returns: a crash in between fetches the
        same changes again, so apply them idempotently. The scheduler of
        ``casehub serve`` runs a poller when ``interval_seconds`` have passed
        since its last run, outside any transaction, and in one process at a
        time across all of them (a lease of ``lease_seconds`` in the
        database). Registering a name another plugin already registered is an
        error naming both plugins.

    Called once at start. If it raises, start-up stops naming the plugin. If
    ``poll`` raises, the watermark is kept, the error is logged with the
    poller's and plugin's names and stored as the poller's ``last_error``
    (see ``casehub pollers``), and the poller runs again after its interval.
    """


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@hookspec
def report_section(conn: Connection, period: Period, scope: Scope, hub: Hub) -> tuple[str, dict[str, Any]] | None:
    """Add the plugin's own figures to ``casehub report``, ``/api/v1/reports/summary`` and ``/dashboard``.

    :param conn: a read-only connection; aggregate in the database (the
        report must stay fast on a million cases), never loop over cases.
    :param period: ``period.since`` / ``period.until``, half-open, UTC.
    :param scope: the report's filters; ``scope.conditions()`` are WHERE
        terms on the ``cases`` table to apply to whatever the plugin counts.
    :param hub: the running hub (``hub.settings.section("<plugin>")``).
    :returns: ``(title, figures)``: a name for the section and a flat mapping
        of figure name to a number, a string or ``None`` (no data); or
        ``None`` when the plugin has nothing to report.

    If it raises, the report is still given, with the section replaced by
    ``{"error": "..."}`` naming the plugin, and the error is logged.
    """


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


@hookspec
def check_vendor(settings: CoreSettings) -> list[tuple[bool, str]] | None:
    """Reach the vendor the way the plugin will, and say what works: ``casehub check`` prints it.

    :param settings: the validated settings; ``settings.section("<plugin>")``
        is the plugin's own (``None`` if the file has none: return ``None``).
    :returns: ``(ok, message)`` lines (log in, permissions, the fields and
        values a mapping needs), or ``None`` when there is nothing to check.

    Read only: never write to the vendor. Any ``ok=False`` line makes the
    check fail (exit code 1). If it raises, the check fails naming the plugin
    and the error; the other plugins are still checked.
    """


@hookspec
def cli_commands(app: typer.Typer) -> None:
    """Add commands to ``casehub`` (for example ``casehub salesforce import``).

    :param app: the root Typer app; add a group with ``app.add_typer(sub, name=...)``.

    Called while the CLI is built. If it raises, the error is logged with the
    plugin's name and the CLI is built without that plugin's commands.
    """


__all__ = [
    "PROJECT",
    "check_vendor",
    "cli_commands",
    "deliver",
    "delivery_defaults",
    "event_committed",
    "hookimpl",
    "hookspec",
    "intake",
    "plan_deliveries",
    "register_actions",
    "register_pollers",
    "report_section",
    "routes",
    "settings_model",
    "shutdown",
    "startup",
]
