"""The delivery worker against a real HTTP sink, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from casehub.delivery import queue
from casehub.fakes.sink import Reply, Sink
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft
from casehub.store.engine import write_connection
from casehub.store.tables import outbox

HubFactory = Callable[..., Hub]


def rows(hub: Hub) -> list[dict]:
    with hub.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(outbox).order_by(outbox.c.id))]


def settle(hub: Hub, done: Callable[[list[dict]], bool], timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        current = rows(hub)
        if done(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox did not settle: {[(r['id'], r['destination'], r['status']) for r in current]}")
        time.sleep(0.02)


def all_final(current: list[dict]) -> bool:
    return bool(current) and all(r["status"] in ("done", "dead") for r in current)


def test_a_delivery_reaches_the_vendor_and_links_the_case(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub()
    case = hub.service.create(CaseDraft(subject="Printer on fire"), actor="test")

    [received] = sink.wait_for(1, path="/crm")
    assert received.body["case"] == case.number and received.body["subject"] == "Printer on fire"
    [row] = settle(hub, all_final)
    assert row["status"] == "done" and row["attempts"] == 1 and row["remote_id"] == "R1"
    assert received.body["idempotency_key"] == row["idempotency_key"]

    linked = hub.service.get(case.id)
    assert [(link.system, link.id) for link in linked.external_links] == [("crm", "R1")]
    timeline = [e.type for e in hub.service.events(case.id)]
    assert timeline == ["case.created", "delivery.succeeded", "case.linked"]


def test_a_new_delivery_wakes_an_idle_worker_without_waiting_for_the_poll(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub(outbox={"poll_interval": 30})
    time.sleep(0.3)  # the worker is idle, waiting up to 30 s for its next poll
    hub.service.create(CaseDraft(subject="wake up"), actor="test")
    sink.wait_for(1, timeout=5)  # only a wake-up on commit gets it there in time


def test_a_worker_in_another_process_is_woken_by_the_commit(
    courier_hub: HubFactory, sink: Sink, any_database_url: str
) -> None:
    """Two hubs on one database: one takes cases in, the other only delivers (PostgreSQL: LISTEN/NOTIFY)."""
    api = courier_hub(deliveries=False)
    courier_hub(outbox={"poll_interval": 30 if "postgresql" in any_database_url else 0.05})
    time.sleep(0.5)  # both listening and idle
    api.service.create(CaseDraft(subject="over the wire"), actor="test")
    sink.wait_for(1, timeout=5)


def test_server_errors_are_retried_and_retry_after_is_obeyed(courier_hub: HubFactory, sink: Sink) -> None:
    sink.script("/crm", Reply(503), Reply(429, headers={"Retry-After": "1"}))
    hub = courier_hub()
    case = hub.service.create(CaseDraft(subject="flaky vendor"), actor="test")

    first, second, third = sink.wait_for(3, path="/crm")
    [row] = settle(hub, all_final)
    assert row["status"] == "done" and row["attempts"] == 3
    assert third.at - second.at >= 0.95, "the vendor asked for 1 s after the 429"
    assert [r.body["attempt"] for r in (first, second, third)] == [1, 2, 3]
    assert len({r.body["idempotency_key"] for r in (first, second, third)}) == 1

    attempts = [e for e in hub.service.events(case.id) if e.type.startswith("delivery.")]
    assert [e.type for e in attempts] == ["delivery.failed", "delivery.failed", "delivery.succeeded"]
    assert "HTTP 503" in attempts[0].data["error"] and "HTTP 429" in attempts[1].data["error"]
    assert "retry_at" in attempts[0].data


def test_a_deferral_waits_without_counting_an_attempt_or_writing_the_timeline(courier_hub: HubFactory, sink: Sink) -> None:
    sink.script("/crm", Reply(200, {"wait": 0.5, "why": "allowance nearly used"}), Reply(200, {"wait": 0.5, "why": "still"}))
    hub = courier_hub(outbox={"max_attempts": 1})  # a deferral counted as an attempt would make it dead
    case = hub.service.create(CaseDraft(subject="not now"), actor="test")

    first, second, third = sink.wait_for(3, path="/crm")
    [row] = settle(hub, all_final)
    assert row["status"] == "done" and row["attempts"] == 1
    assert second.at - first.at >= 0.45 and third.at - second.at >= 0.45
    assert [r.body["attempt"] for r in (first, second, third)] == [1, 1, 1]
    timeline = [e.type for e in hub.service.events(case.id)]
    assert timeline == ["case.created", "delivery.succeeded", "case.linked"]


def test_a_refusal_goes_to_the_dead_letters_at_once_with_the_vendors_message(
    courier_hub: HubFactory, sink: Sink
) -> None:
    sink.script("/crm", Reply(400, body={"message": "Subject: field integrity exception"}))
    hub = courier_hub()
    case = hub.service.create(CaseDraft(subject="bad data"), actor="test")

    [row] = settle(hub, all_final)
    assert row["status"] == "dead" and row["attempts"] == 1
    assert "HTTP 400" in row["last_error"]
    [dead] = [e for e in hub.service.events(case.id) if e.type == "delivery.dead"]
    assert "400" in dead.data["error"]

    # An operator fixes the cause and sends it again: the vendor now takes it.
    with write_connection(hub.engine) as conn:
        assert queue.retry(conn, ids=[row["id"]], actor="ops", now=hub.clock()) == [row["id"]]
    [row] = settle(hub, lambda r: r[0]["status"] == "done")
    assert len(sink.requests_to("/crm")) == 2
    assert "delivery.retried" in [e.type for e in hub.service.events(case.id)]


def test_after_max_attempts_a_delivery_is_dead(courier_hub: HubFactory, sink: Sink) -> None:
    sink.default("/crm", Reply(502))
    hub = courier_hub(outbox={"max_attempts": 3})
    hub.service.create(CaseDraft(subject="vendor down"), actor="test")

    [row] = settle(hub, all_final)
    assert row["status"] == "dead" and row["attempts"] == 3
    assert "gave up after 3 attempts" in row["last_error"]
    assert len(sink.requests_to("/crm")) == 3


def test_connection_refused_is_retried(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub(url="http://127.0.0.1:9", outbox={"max_attempts": 2})
    hub.service.create(CaseDraft(subject="nobody listens"), actor="test")
    [row] = settle(hub, all_final)
    assert row["status"] == "dead" and row["attempts"] == 2
    assert "ConnectError" in row["last_error"]


def test_one_case_keeps_its_order_per_destination_and_an_outage_holds_back_only_that_destination(
    courier_hub: HubFactory, sink: Sink
) -> None:
    sink.script("/chat", *[Reply(503)] * 3)  # chat is down for a while
    hub = courier_hub(destinations=["crm", "chat"])
    case = hub.service.create(CaseDraft(subject="v1"), actor="test")
    for n in range(2, 6):
        hub.service.assign(case.id, "test", queue=f"tier {n}")  # no version: a background link may bump it

    crm = sink.wait_for(5, path="/crm")
    settle(hub, all_final)
    chat = sink.requests_to("/chat")
    assert [r.body["event"] for r in crm] == sorted(r.body["event"] for r in crm)
    delivered_chat = [r.body["event"] for r in chat]
    assert delivered_chat == sorted(delivered_chat), "chat retries must not overtake each other"
    # crm did not wait for chat's outage: all five crm calls came before chat's first success.
    first_chat_success = chat[3].at
    assert crm[-1].at <= first_chat_success


def test_batches_go_in_one_request_and_only_failed_items_are_retried(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub(deliveries=False, destinations=["crm"], batch={"crm": 200})
    for n in range(450):
        hub.service.create(CaseDraft(subject=f"case {n}"), actor="test")
    # The vendor refuses the 3rd record of the first batch for good and the 5th for now.
    results = [{"ok": True, "id": f"S{n}"} for n in range(200)]
    results[2] = {"ok": False, "error": "REQUIRED_FIELD_MISSING", "permanent": True}
    results[4] = {"ok": False, "error": "UNABLE_TO_LOCK_ROW"}
    sink.script("/crm", Reply(body={"results": results}))

    worker_hub = courier_hub(destinations=["crm"], batch={"crm": 200}, outbox={"claim_batch": 500, "concurrency": 1})
    final = settle(worker_hub, all_final)
    requests = sink.requests_to("/crm")
    assert [len(r.body["records"]) for r in requests[:3]] == [200, 200, 50]
    assert len(requests) == 4 and [len(r.body["records"]) for r in requests[3:]] == [1]
    assert requests[3].body["records"][0]["outbox_id"] == requests[0].body["records"][4]["outbox_id"]
    statuses = [r["status"] for r in final]
    assert statuses.count("done") == 449 and statuses.count("dead") == 1
    assert hub is not worker_hub


def test_a_shared_rate_limit_spaces_calls(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub(
        deliveries=False,
        outbox={"destinations": {"crm": {"rate": 10, "burst": 1}}},
    )
    for n in range(8):
        hub.service.create(CaseDraft(subject=f"case {n}"), actor="test")
    # Two workers share the one bucket in the database.
    courier_hub(outbox={"destinations": {"crm": {"rate": 10, "burst": 1}}})
    courier_hub(outbox={"destinations": {"crm": {"rate": 10, "burst": 1}}})
    got = sink.wait_for(8, path="/crm")
    span = got[-1].at - got[0].at
    assert span >= 0.6, f"8 calls at 10/s with burst 1 need about 0.7 s, took {span:.2f} s"


def test_the_plugins_own_limits_apply_unless_the_config_says_otherwise(courier_hub: HubFactory, sink: Sink) -> None:
    own = {"rate": 4, "burst": 1, "per_key": True}  # the vendor's limit, known to its plugin
    hub = courier_hub(deliveries=False, defaults=own)
    for n in range(4):
        hub.service.create(CaseDraft(subject=f"same key {n}", custom_fields={"channel_key": "a"}), actor="test")
    courier_hub(defaults=own)
    got = sink.wait_for(4, path="/crm")
    assert got[-1].at - got[0].at >= 0.6, "4 calls at the plugin's 4/s with burst 1 take about 0.75 s"


def test_the_config_overrides_the_plugins_own_limits(courier_hub: HubFactory, sink: Sink) -> None:
    own = {"rate": 4, "burst": 1, "per_key": True}
    faster = courier_hub(deliveries=False, defaults=own, outbox={"destinations": {"crm": {"rate": 1000}}})
    for n in range(4):
        faster.service.create(CaseDraft(subject=f"again {n}", custom_fields={"channel_key": "b"}), actor="test")
    courier_hub(defaults=own, outbox={"destinations": {"crm": {"rate": 1000}}})
    got = sink.wait_for(4, path="/crm")
    assert got[-1].at - got[0].at < 0.5, "the config's rate wins over the plugin's"


def test_a_case_keeps_one_link_per_key_when_the_plugin_names_them(courier_hub: HubFactory, sink: Sink) -> None:
    hub = courier_hub(link_per_key=True, destinations=["crm"])
    a = hub.service.create(CaseDraft(subject="in a", custom_fields={"channel_key": "a"}), actor="test")
    settle(hub, all_final)
    current = hub.service.get(a.id)
    custom = {**current.custom_fields, "channel_key": "b"}
    hub.service.update(a.id, CaseChanges(version=current.version, custom_fields=custom), actor="test")
    settle(hub, lambda rows: len(rows) == 2 and all_final(rows))

    assert sorted(link.system for link in hub.service.get(a.id).external_links) == ["crm_a", "crm_b"]


def test_per_key_buckets_do_not_slow_each_other(courier_hub: HubFactory, sink: Sink) -> None:
    limits = {"destinations": {"crm": {"rate": 2, "burst": 1, "per_key": True}}}
    hub = courier_hub(deliveries=False, outbox=limits)
    for channel in ("a", "b", "c", "d"):
        hub.service.create(CaseDraft(subject=channel, custom_fields={"channel_key": channel}), actor="test")
    courier_hub(outbox=limits)
    got = sink.wait_for(4, path="/crm")
    assert got[-1].at - got[0].at < 0.4, "four keys each have their own bucket"


def test_stop_lets_in_flight_deliveries_finish(courier_hub: HubFactory, sink: Sink) -> None:
    sink.default("/crm", Reply(delay=0.5))
    hub = courier_hub(outbox={"shutdown_timeout": 5})
    hub.service.create(CaseDraft(subject="slow"), actor="test")
    sink.wait_for(1)
    hub._worker.stop()  # what SIGTERM does
    [row] = rows(hub)
    assert row["status"] == "done"


def test_stop_hands_back_what_cannot_finish_in_time(courier_hub: HubFactory, sink: Sink) -> None:
    sink.default("/crm", Reply(delay=3))
    hub = courier_hub(outbox={"shutdown_timeout": 0.2})
    hub.service.create(CaseDraft(subject="very slow"), actor="test")
    sink.wait_for(1)
    hub._worker.stop()
    [row] = rows(hub)
    assert row["status"] == "pending" and row["attempts"] == 0 and row["leased_by"] is None


def test_a_lease_that_ran_out_is_taken_over_and_the_late_result_is_ignored(
    courier_hub: HubFactory, sink: Sink
) -> None:
    hub = courier_hub(deliveries=False)
    hub.service.create(CaseDraft(subject="orphan"), actor="test")
    with write_connection(hub.engine) as conn:
        [item] = queue.claim(conn, "vanished", limit=10, now=hub.clock(), lease=timedelta(seconds=-1))
    courier_hub()  # a live worker finds the expired lease
    [row] = settle(hub, all_final)
    assert row["status"] == "done" and row["attempts"] == 2 and row["leased_by"] is None
    with write_connection(hub.engine) as conn:
        late = queue.finish(conn, "vanished", [queue.Finished(item, "dead", error="late")], now=hub.clock())
    assert late == [] and rows(hub)[0]["status"] == "done"
