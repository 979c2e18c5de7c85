"""A resolved case gets a survey link by the rules; the customer follows it and answers, once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from casehub.model import Status

if TYPE_CHECKING:
    from conftest import Desk


def test_resolution_sends_a_link_that_shows_the_survey_and_takes_one_answer(desk: Desk) -> None:
    case = desk.resolved_case()
    [reply] = [e for e in desk.events(case, "comment.added") if e.data["author"] == "rules"]
    assert reply.data["public"] is True and "Hello Ada" in reply.data["body"] and case.number in reply.data["body"]
    [requested] = desk.events(case, "csat.requested")
    assert requested.actor == "rules" and requested.id > reply.id
    assert requested.data["expires_at"] == "2025-04-02T09:00:00+00:00"  # [csat] max_age_days = 30
    assert len(requested.data["nonce"]) >= 16
    path = desk.survey_path(case)

    page = desk.client.get(path)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert case.number in html and "Printer on fire" in html
    assert "<legend>How satisfied are you with how we handled your request?</legend>" in html
    assert len(re.findall(r'<input type="radio" name="score" value="[1-5]"', html)) == 5
    assert "5 – Very satisfied" in html and " checked" not in html
    assert f'action="{path}"' in html and 'maxlength="2000"' in html

    version = desk.hub.service.get(case.id).version
    done = desk.client.post(path, data={"score": "4", "comment": "Quick and kind.\r\nThanks!"})
    assert done.status_code == 200 and "Thank you for your answer (4 – Satisfied)" in done.text
    [received] = desk.events(case, "csat.received")
    assert received.actor == "customer"
    assert received.data == {"score": 4, "comment": "Quick and kind.\nThanks!", "nonce": requested.data["nonce"]}
    stored = desk.hub.service.get(case.id)
    assert stored.csat == {"score": 4, "comment": "Quick and kind.\nThanks!", "nonce": requested.data["nonce"],
                           "at": desk.clock.now.isoformat()}  # fmt: skip
    assert stored.version > version
    assert "csat-answered" in stored.tags  # the rules react to csat.received like to any event
    assert not [e for e in desk.events(case, "case.updated") if "csat" in e.data["changes"]]  # the answer is its own event

    before = desk.events(case)
    again = desk.client.post(path, data={"score": "1", "comment": "changed my mind"})
    assert again.status_code == 409 and "already answered (4 – Satisfied)" in again.text
    shown = desk.client.get(path)
    assert shown.status_code == 409 and "already answered (4 – Satisfied)" in shown.text
    as_json = desk.client.post(path, json={"score": 1})
    assert as_json.status_code == 409 and as_json.json()["code"] == "survey_already_answered"
    assert as_json.json()["score"] == 4
    assert desk.events(case) == before and desk.hub.service.get(case.id).csat == stored.csat


def test_an_api_client_posts_json_and_gets_json(desk: Desk) -> None:
    case = desk.resolved_case()
    response = desk.client.post(desk.survey_path(case), json={"score": 5, "comment": "Great"})
    assert response.status_code == 201, response.text
    assert response.json() == {"case": case.number, "score": 5}
    assert desk.hub.service.get(case.id).csat["score"] == 5  # type: ignore[index]


def test_a_one_click_link_preselects_the_score(desk: Desk) -> None:
    path = desk.survey_path(desk.resolved_case())
    html = desk.client.get(path, params={"score": "5"}).text
    assert re.search(r'value="5" required checked>', html) and html.count(" checked") == 1
    for garbled in ("0", "9", "abc", ""):  # still the survey, nothing chosen
        page = desk.client.get(path, params={"score": garbled})
        assert page.status_code == 200 and " checked" not in page.text


def test_each_survey_of_a_reopened_case_takes_its_own_answer_and_the_latest_is_kept(desk: Desk) -> None:
    case = desk.resolved_case()
    first = desk.survey_path(case)
    desk.clock.advance(days=2)
    desk.hub.service.set_status(case.id, Status.OPEN, "customer")
    desk.hub.service.set_status(case.id, Status.RESOLVED, "agent")
    second = desk.survey_path(case)
    assert first != second and len(desk.events(case, "csat.requested")) == 2

    assert desk.client.post(second, json={"score": 2}).status_code == 201
    assert desk.client.post(first, json={"score": 5}).status_code == 201  # an older link still counts, once
    assert desk.client.post(first, json={"score": 1}).status_code == 409
    assert [e.data["score"] for e in desk.events(case, "csat.received")] == [2, 5]
    assert desk.hub.service.get(case.id).csat["score"] == 5  # type: ignore[index]


def test_the_reply_text_is_a_template_with_the_link(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(
        """
        triggers:
          - name: survey
            on: [case.status_changed]
            all: [{field: status, eq: resolved}]
            actions:
              - send_csat_survey: {body: "{{ case.number }} is done. Rate us: {{ survey_url }}"}
        """,
        {"question": "Did we solve it?", "max_age_days": 7},
    )
    case = desk.resolved_case()
    [reply] = [e for e in desk.events(case, "comment.added") if e.data["author"] == "rules"]
    assert reply.data["body"].startswith(f"{case.number} is done. Rate us: https://support.example.com/desk/csat/")
    assert desk.events(case, "csat.requested")[0].data["expires_at"] == "2025-03-10T09:00:00+00:00"
    assert "<legend>Did we solve it?</legend>" in desk.client.get(desk.survey_path(case)).text
