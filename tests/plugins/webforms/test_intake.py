"""Web-to-Case intake over real HTTP: browsers, API clients, an existing Salesforce form, bad and hostile input."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

import casehub.plugins.webforms as webforms
from casehub import hookimpl
from casehub.errors import IntakeRejected
from casehub.model import CaseDraft
from casehub.store.group_commit import GroupCommit
from casehub.store.tables import cases

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_ACCEPT = {"Accept": "application/json"}


def count(hub) -> int:  # type: ignore[no-untyped-def]
    with hub.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(cases)).scalar_one()


def test_an_existing_web_to_case_form_works_by_changing_its_action(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    body = urlencode({
        "orgid": "00D000000000001", "retURL": "https://www.example.com/contact/done", "encoding": "UTF-8",
        "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000", "company": "Analytical Engines",
        "subject": "Lamp flickers", "description": "Since Monday.", "type": "Problem", "priority": "High",
        "reason": "Performance", "origin": "Web", "00N5g00000AbCdE": "4711", "product": "Lamp", "submit": "Submit",
    })  # fmt: skip
    response = client.post("/forms/support", content=body, headers=FORM)
    assert response.status_code == 303 and response.headers["location"] == "https://www.example.com/contact/done"
    [case] = hub.service.list(_all()).items
    assert (case.subject, case.description, case.type, case.priority, case.channel) == ("Lamp flickers", "Since Monday.", "problem", "high", "web")
    assert (case.contact.name, case.contact.email, case.contact.phone) == ("Ada Lovelace", "ada@example.com", "+44 20 7946 0000")
    assert case.account.name == "Analytical Engines" and case.queue == "support" and case.tags == ["website"]
    assert case.custom_fields == {"order": "4711", "product": "Lamp", "reason": "Performance", "origin": "Web"}


def _all():  # type: ignore[no-untyped-def]
    from casehub.store.cases import CaseFilter

    return CaseFilter()


def test_ret_url_only_to_allowed_hosts(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms()
    base = {"email": "ada@example.com", "subject": "x"}
    for evil in ("https://evil.example.net/phish", "javascript:alert(1)", "//evil.example.net", "https://www.example.com.evil.net/"):
        response = client.post("/forms/support", content=urlencode({**base, "subject": evil, "retURL": evil}), headers=FORM)
        assert response.status_code == 303 and response.headers["location"] == "https://www.example.com/thanks", evil


def test_thank_you_page_without_a_success_url_and_json_for_api_clients(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(plain={"required": ["subject"]})
    page = client.post("/forms/plain", content=urlencode({"subject": "Hello"}), headers=FORM)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "We have your request C-000001" in page.text
    api = client.post("/forms/plain", json={"subject": "Hello again", "email": "bob@example.com"})
    assert api.status_code == 201 and api.json()["number"] == "C-000002" and api.json()["duplicate"] is False


def test_every_problem_is_named_per_field_and_nothing_is_stored(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    bad = {"email": "not-an-email", "product": "Sofa", "priority": "Whenever", "description": "x"}
    response = client.post("/forms/support", json=bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["subject"] == "is required" and errors["product"] == "must be one of: Lamp, Chair"
    assert count(hub) == 0
    response = client.post("/forms/support", json={"email": "not-an-email", "subject": "x", "priority": "Whenever"})
    assert set(response.json()["errors"]) == {"priority", "email"}  # every problem at once
    response = client.post("/forms/support", json={"email": "not-an-email", "subject": "x"})
    assert "email" in response.json()["errors"] and "valid email" in response.json()["errors"]["email"]
    assert count(hub) == 0


def test_hostile_and_broken_input(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    assert client.post("/forms/support", content=urlencode({"email": "a@example.com", "subject": "a\x00b"}), headers=FORM).status_code == 422
    long = client.post("/forms/support", json={"email": "a@example.com", "subject": "x", "description": "y" * 40_000})
    assert long.status_code == 422 and "too long" in long.json()["errors"]["description"]
    many = client.post("/forms/support", content=urlencode({f"f{i}": "x" for i in range(100)}), headers=FORM)
    assert many.status_code == 422 and "too many fields" in many.text
    latin = urlencode({"email": "a@example.com", "subject": "Grüße"}, encoding="latin-1")
    assert client.post("/forms/support", content=latin, headers=FORM).status_code == 400  # not UTF-8 as declared (default)
    declared = urlencode({"encoding": "ISO-8859-1", "email": "a@example.com", "subject": "Grüße"}, encoding="latin-1")
    assert client.post("/forms/support", content=declared, headers=FORM).status_code == 303
    assert [c.subject for c in hub.service.list(_all()).items] == ["Grüße"]
    assert client.post("/forms/support", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/forms/support", content=b"x", headers={"Content-Type": "text/csv"}).status_code == 415
    assert client.post("/forms/nope", json={"subject": "x"}).status_code == 404


def test_script_in_a_field_is_text_on_the_page(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(plain={"required": ["subject"], "choices": {"product": ["Lamp"]}})
    script = "<script>alert('x')</script>"
    page = client.post("/forms/plain", content=urlencode({"subject": "x", "product": script}), headers=FORM)
    assert page.status_code == 422 and "<script>" not in page.text
    thanks = client.post("/forms/plain", content=urlencode({"subject": script}), headers=FORM)
    assert thanks.status_code == 200 and "<script>" not in thanks.text


def test_honeypot_posts_are_answered_but_not_stored(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    response = client.post("/forms/support", content=urlencode({"email": "bot@example.com", "subject": "Buy", "website_url": "http://spam"}), headers=FORM)
    assert response.status_code == 200 and "Thank you" in response.text
    assert count(hub) == 0


def test_a_double_post_is_one_case(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    post = {"email": "ada@example.com", "subject": "Lamp", "description": "Broken"}
    first = client.post("/forms/support", json=post, headers=JSON_ACCEPT).json()
    second = client.post("/forms/support", json=post, headers=JSON_ACCEPT).json()
    assert second == {**first, "duplicate": True} and count(hub) == 1
    other = client.post("/forms/support", json={**post, "description": "Broken again"}).json()
    assert other["number"] != first["number"] and count(hub) == 2


def test_the_same_post_sent_many_times_at_once_is_one_case(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    post = {"email": "ada@example.com", "subject": "Lamp", "description": "Broken"}
    start = threading.Barrier(8)

    def send(_: int) -> dict[str, object]:
        start.wait(10)
        return client.post("/forms/support", json=post, headers=JSON_ACCEPT).json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {a["number"] for a in answers} == {"C-000001"} and count(hub) == 1
    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 7


def test_a_rate_limit_holds_for_posts_sent_at_the_same_moment(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(limited={"required": ["subject"], "per_email_per_hour": 3})
    start = threading.Barrier(10)

    def send(n: int) -> int:
        start.wait(10)
        return client.post("/forms/limited", json={"subject": f"s{n}", "email": "ada@example.com"}).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = sorted(pool.map(send, range(10)))
    assert codes == [201] * 3 + [429] * 7 and count(hub) == 3


def test_rate_limits_per_address_and_per_email(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(limited={"required": ["subject"], "per_ip_per_hour": 3, "per_email_per_hour": 2})
    codes = [client.post("/forms/limited", json={"subject": f"s{i}", "email": "ada@example.com"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    other = client.post("/forms/limited", json={"subject": "s9", "email": "bob@example.com"})
    assert other.status_code == 201  # a third post from this address, but a new email
    blocked = client.post("/forms/limited", json={"subject": "s10", "email": "carl@example.com"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert count(hub) == 3


def test_origins(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(strict={"required": ["subject"], "allowed_origins": ["https://www.example.com"]})
    ok = client.post("/forms/strict", json={"subject": "x"}, headers={"Origin": "https://www.example.com"})
    assert ok.status_code == 201 and ok.headers["access-control-allow-origin"] == "https://www.example.com"
    refused = client.post("/forms/strict", json={"subject": "y"}, headers={"Origin": "https://evil.example.net"})
    assert refused.status_code == 403


def test_a_known_email_is_recognised_and_their_open_cases_are_named(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    first = client.post("/forms/support", json={"email": "ada@example.com", "subject": "Lamp", "name": "Ada Lovelace",
                                                "phone": "+44 20 7946 0000", "company": "Analytical Engines"}).json()
    second = client.post("/forms/support", json={"email": "ada@example.com", "subject": "Chair"}).json()
    hub.service.set_status(second["id"], "resolved", actor="agent")
    third = client.post("/forms/support", json={"email": "ada@example.com", "subject": "Table"}).json()
    case = hub.service.get(third["id"])
    assert (case.contact.name, case.contact.phone, case.account.name) == ("Ada Lovelace", "+44 20 7946 0000", "Analytical Engines")
    assert case.custom_fields["open_cases"] == first["number"], "the resolved one is not listed"
    stranger = hub.service.get(client.post("/forms/support", json={"email": "bob@example.com", "subject": "Hi"}).json()["id"])
    assert "open_cases" not in stranger.custom_fields and stranger.contact.name is None


class _Screen:
    """An intake plugin: tags what it lets in, refuses what looks like spam."""

    @hookimpl
    def intake(self, draft: CaseDraft) -> CaseDraft:
        if "casino" in draft.subject.lower():
            raise IntakeRejected("screen", "looks like spam")
        return draft.model_copy(update={"tags": [*draft.tags, "screened"]})


def test_intake_plugins_enrich_and_refuse_web_form_posts(make_hub, serve, any_database_url) -> None:  # type: ignore[no-untyped-def]
    hub = make_hub({"webforms": {"forms": {"support": {"required": ["subject"]}}}},
                   plugins={"webforms": webforms, "screen": _Screen()}, database_url=any_database_url)  # fmt: skip
    with serve(hub) as client:
        client.headers.pop("Authorization", None)
        taken = client.post("/forms/support", json={"subject": "Lamp", "email": "ada@example.com"})
        refused = client.post("/forms/support", json={"subject": "Casino bonus", "email": "bot@example.com"})
    assert taken.status_code == 201 and "screened" in hub.service.get(taken.json()["number"]).tags
    assert refused.status_code == 422 and refused.json()["errors"] == {"_form": "rejected by plugin 'screen': looks like spam"}
    assert count(hub) == 1


def post_together(hub, client, posts: list[tuple[str, dict[str, str]]]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Send ``posts`` (form, JSON body) at the same moment, taken in by the hub's writer in one batch; the answers in order.

    The writer is held until every post waits for it, so they reach it together
    whatever the machine's load; the test fails if they did not go in one batch.
    """
    writer: GroupCommit = hub.writer
    release, busy = threading.Event(), threading.Event()
    batches = writer.batches
    held = writer.submit(lambda conn: (busy.set(), release.wait(10)))
    assert busy.wait(10)

    def send(post: tuple[str, dict[str, str]]) -> dict[str, Any]:
        response = client.post(f"/forms/{post[0]}", json=post[1])
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(len(posts)) as pool:
        answers = [pool.submit(send, post) for post in posts]
        deadline = time.monotonic() + 10
        while writer.waiting < len(posts):
            assert time.monotonic() < deadline, "the posts did not reach the writer"
            time.sleep(0.01)
        release.set()
        held.result(10)
        done = [a.result(30) for a in answers]
    assert writer.batches == batches + 2, "the holding job's batch, then every post in one"
    return done


SHARED = """
agents: {ada: {}, grace: {}, linus: {}}
queues:
  support: {distribution: least_open, agents: [ada, grace, linus]}
assignment:
  - {name: everything to support, queue: support}
"""


def test_posts_taken_in_together_are_shared_out_by_least_open(make_hub, serve, any_database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.yaml"
    rules.write_text(SHARED)
    config = {"webforms": {"forms": {"contact": {"required": ["email", "subject"]}}}, "rules": {"file": str(rules)}}
    hub = make_hub(config, plugins={"webforms": webforms}, database_url=any_database_url)
    posts = [("contact", {"email": f"p{n}@example.com", "subject": f"Lamp {n}"}) for n in range(6)]  # six people
    with serve(hub) as client:
        client.headers.pop("Authorization", None)
        answers = post_together(hub, client, posts)
    taken = [hub.service.get(a["id"]) for a in answers]
    assert {c.queue for c in taken} == {"support"} and len({c.number for c in taken}) == 6
    assert Counter(c.owner for c in taken) == {"ada": 2, "grace": 2, "linus": 2}, "each sees the cases given out before it"


def test_posts_from_one_person_taken_in_together_name_the_ones_before(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    subjects = ["Lamp", "Chair", "Table", "Shelf"]
    answers = post_together(hub, client, [("support", {"email": "ada@example.com", "subject": s}) for s in subjects])
    assert not any(a["duplicate"] for a in answers) and count(hub) == 4
    taken = sorted((hub.service.get(a["id"]) for a in answers), key=lambda c: c.number)
    assert sorted(c.subject for c in taken) == sorted(subjects), "every post is a case of its own"
    assert "open_cases" not in taken[0].custom_fields
    for n, case in enumerate(taken[1:], start=1):
        assert case.custom_fields["open_cases"] == ", ".join(c.number for c in taken[:n]), case.number


def test_a_double_post_among_others_taken_in_together_is_one_case(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms()
    lamp = {"email": "ada@example.com", "subject": "Lamp", "description": "Broken"}
    posts = [lamp, {"email": "bob@example.com", "subject": "Chair"}, lamp, {"email": "carl@example.com", "subject": "Table"}]
    ada, bob, again, carl = post_together(hub, client, [("support", p) for p in posts])
    assert count(hub) == 3
    assert sorted([ada, again], key=lambda a: a["duplicate"]) == [{**ada, "duplicate": False}, {**ada, "duplicate": True}]
    assert len({ada["number"], bob["number"], carl["number"]}) == 3 and not (bob["duplicate"] or carl["duplicate"])
    assert [hub.service.get(a["id"]).subject for a in (ada, bob, carl)] == ["Lamp", "Chair", "Table"]
