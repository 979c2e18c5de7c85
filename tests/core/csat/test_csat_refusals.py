"""Links that must not work, answers that must not be taken: each refused, and nothing changes."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from casehub.csat.tokens import SurveyLinks
from casehub.errors import ConfigError
from casehub.hub import Hub

if TYPE_CHECKING:
    from conftest import Desk

HOSTILE = "<script>alert(1)</script>"


def _unchanged(desk: Desk, case_id: str) -> Callable[[], None]:
    before = (desk.hub.service.events(case_id), desk.hub.service.get(case_id))

    def check() -> None:
        assert (desk.hub.service.events(case_id), desk.hub.service.get(case_id)) == before

    return check


def test_forged_links_are_404_and_change_nothing(desk: Desk) -> None:
    case = desk.resolved_case()
    path = desk.survey_path(case)
    unchanged = _unchanged(desk, case.id)
    token = path.removeprefix("/csat/")
    payload, stamp, signature = token.split(".")
    # A middle character: the last one of unpadded base64 carries bits the decoder drops.
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    other_secret = SurveyLinks("another-secret-0123456789", "https://x", timedelta(days=30))
    [nonce] = [e.data["nonce"] for e in desk.events(case, "csat.requested")]
    never_sent = desk.hub.rules.surveys.issue(case.id, desk.clock.now)  # type: ignore[union-attr]  # signed, but no csat.requested
    forged = [
        f"{payload}.{stamp}.{flipped}",  # tampered signature
        f"{payload[:-2]}xx.{stamp}.{signature}",  # tampered payload
        other_secret.issue(case.id, desk.clock.now).token,  # right case, another secret
        never_sent.token,
        "garbage", "a.b.c", "é" * 10, "x" * 600,
    ]  # fmt: skip
    assert nonce not in never_sent.token
    for token in forged:
        page = desk.client.get(f"/csat/{token}")
        assert page.status_code == 404 and "this survey link is not valid" in page.text, token
        posted = desk.client.post(f"/csat/{token}", data={"score": "5"})
        assert posted.status_code == 404 and "this survey link is not valid" in posted.text, token
        as_json = desk.client.post(f"/csat/{token}", json={"score": 5})
        assert as_json.status_code == 404 and as_json.json()["code"] == "invalid_survey_link", token
    unchanged()


def test_an_expired_link_is_410(desk: Desk) -> None:
    case = desk.resolved_case()
    path = desk.survey_path(case)
    desk.clock.advance(days=29, hours=23)
    assert desk.client.get(path).status_code == 200
    unchanged = _unchanged(desk, case.id)
    desk.clock.advance(hours=2)
    page = desk.client.get(path)
    assert page.status_code == 410 and "this survey link has expired" in page.text
    assert desk.client.post(path, data={"score": "5"}).status_code == 410
    answer = desk.client.post(path, json={"score": 5})
    assert answer.status_code == 410 and answer.json()["code"] == "survey_link_expired"
    unchanged()


@pytest.mark.parametrize("score", ["0", "6", "abc", "4.0", "", None])
def test_a_score_that_is_not_1_to_5_is_422_naming_score(desk: Desk, score: str | None) -> None:
    case = desk.resolved_case()
    path = desk.survey_path(case)
    unchanged = _unchanged(desk, case.id)
    form = {"comment": f"kept {HOSTILE}"} | ({"score": score} if score is not None else {})
    page = desk.client.post(path, data=form)
    assert page.status_code == 422
    assert 'id="e-score"' in page.text and 'aria-invalid="true"' in page.text
    assert "<textarea" in page.text and "kept &lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page.text
    assert HOSTILE not in page.text
    body: dict[str, object] = {"comment": "x"} | ({"score": score} if score is not None else {})
    response = desk.client.post(path, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["score"]
    unchanged()


@pytest.mark.parametrize("score", [0, 6, True, 4.5, [4], {"v": 4}])
def test_json_scores_must_be_whole_numbers_1_to_5(desk: Desk, score: object) -> None:
    case = desk.resolved_case()
    response = desk.client.post(desk.survey_path(case), json={"score": score})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "score"


@pytest.mark.parametrize(
    ("comment", "message"),
    [("x" * 2001, "at most 2,000 characters"), ("a\x00b", "NUL"), (42, "must be text")],
)
def test_a_bad_comment_is_422_naming_comment(desk: Desk, comment: object, message: str) -> None:
    case = desk.resolved_case()
    path = desk.survey_path(case)
    unchanged = _unchanged(desk, case.id)
    response = desk.client.post(path, json={"score": 3, "comment": comment})
    assert response.status_code == 422 and response.json()["errors"] == [
        {"field": "comment", "message": response.json()["errors"][0]["message"]}]
    assert message in response.json()["errors"][0]["message"]
    if isinstance(comment, str):
        page = desk.client.post(path, data={"score": "3", "comment": comment})
        assert page.status_code == 422 and 'id="e-comment"' in page.text and "value=\"3\" required checked" in page.text
    unchanged()
    assert desk.client.post(path, json={"score": 3, "comment": "x" * 2000}).status_code == 201  # the limit itself is fine


def test_a_lone_surrogate_in_json_is_422_not_a_database_error(desk: Desk) -> None:
    path = desk.survey_path(desk.resolved_case())
    response = desk.client.post(path, content=b'{"score": 3, "comment": "\\ud800"}', headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "comment"


def test_broken_bodies_are_4xx(desk: Desk) -> None:
    path = desk.survey_path(desk.resolved_case())
    assert desk.client.post(path, content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert desk.client.post(path, content=b"[5]", headers={"content-type": "application/json"}).status_code == 400
    assert desk.client.post(path, content=b'{"score": NaN}', headers={"content-type": "application/json"}).status_code == 400
    assert desk.client.post(path, content=b"score=5", headers={"content-type": "text/plain"}).status_code == 415
    assert desk.client.post(path, content=b"score=\xff", headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 400


def test_a_hostile_comment_and_subject_are_stored_as_text_and_shown_escaped(desk: Desk) -> None:
    case = desk.resolved_case(subject=f"Help {HOSTILE}")
    path = desk.survey_path(case)
    page = desk.client.get(path).text
    assert HOSTILE not in page and "Help &lt;script&gt;alert(1)&lt;/script&gt;" in page
    answered = desk.client.post(path, data={"score": "1", "comment": HOSTILE})
    assert answered.status_code == 200 and HOSTILE not in answered.text
    assert desk.hub.service.get(case.id).csat["comment"] == HOSTILE  # type: ignore[index]
    assert desk.events(case, "csat.received")[0].data["comment"] == HOSTILE


def test_concurrent_answers_to_one_link_are_taken_once(desk: Desk) -> None:
    case = desk.resolved_case()
    url = str(desk.client.base_url) + desk.survey_path(case)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def answer(score: int) -> None:
        with httpx.Client(timeout=30) as client:
            start.wait()
            statuses.append(client.post(url, json={"score": score}).status_code)

    threads = [threading.Thread(target=answer, args=(1 + n % 5,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    [received] = desk.events(case, "csat.received")
    assert desk.hub.service.get(case.id).csat["score"] == received.data["score"]  # type: ignore[index]


def test_rules_that_send_surveys_need_the_secret(make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""\
        triggers:
          - name: survey on resolution
            on: [case.status_changed]
            actions:
              - add_tag: resolved
              - send_csat_survey: {body: "Rate us: {{ survey_url }}"}
    """))
    with pytest.raises(ConfigError) as refused:
        make_hub({"rules": {"file": str(path)}})
    [issue] = refused.value.issues
    assert str(issue) == (
        f"{path}:6: triggers[0].actions[1]: send_csat_survey needs [csat] secret to sign its links: "
        "set CASEHUB_CSAT__SECRET (16 characters or more)"
    )


def test_the_survey_body_must_carry_the_link(make_hub: Callable[..., Hub], tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("triggers:\n  - name: s\n    actions:\n      - send_csat_survey: {body: 'How did we do?'}\n"
                    "  - name: t\n    actions:\n      - send_csat_survey: {body: '{{ survey_url'}\n")  # fmt: skip
    with pytest.raises(ConfigError) as refused:
        make_hub({"rules": {"file": str(path)}, "csat": {"secret": "test-csat-secret-0123456789"}})
    messages = [str(i).removeprefix(f"{path}:") for i in refused.value.issues]
    assert messages[0] == "4: triggers[0].actions[0]: send_csat_survey: body: the body must contain the link: {{ survey_url }}"
    assert messages[1].startswith("7: triggers[1].actions[0]: send_csat_survey: body: template error on its line 1")


def test_a_short_secret_is_refused_without_echoing_it(make_hub: Callable[..., Hub]) -> None:
    with pytest.raises(ConfigError) as refused:
        make_hub({"csat": {"secret": "hunter2-short"}})
    assert "[csat] secret" in str(refused.value) and "at least 16 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_without_a_secret_every_link_is_404(live_server: object, hub: Hub) -> None:
    links = SurveyLinks("test-csat-secret-0123456789", hub.settings.casehub.public_url, timedelta(days=30))
    token = links.issue("01JNKX0000000000000000000", hub.clock()).token
    assert "test-csat-secret" not in repr(links)
    with httpx.Client(base_url=live_server.url) as client:  # type: ignore[attr-defined]
        assert client.get(f"/csat/{token}").status_code == 404
        assert client.post(f"/csat/{token}", json={"score": 5}).status_code == 404


def test_the_secret_comes_from_the_environment(
    make_hub: Callable[..., Hub], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("triggers:\n  - name: s\n    actions:\n      - send_csat_survey:\n")
    monkeypatch.setenv("CASEHUB_CSAT__SECRET", "test-csat-secret-from-env-0123")
    hub = make_hub({"rules": {"file": str(path)}, "csat": {"max_age_days": 3}})
    assert hub.settings.csat.secret is not None and hub.settings.csat.max_age_days == 3
    assert hub.rules is not None and hub.rules.surveys is not None
    assert "test-csat-secret" not in repr(hub.settings.csat) + repr(hub.rules.surveys)
