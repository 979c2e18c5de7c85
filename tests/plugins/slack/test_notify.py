"""Rules notify Slack through the real slack-sdk against the fake workspace; buttons and /case come back signed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import casehub.plugins.slack as slack
from casehub.fakes.slack import SlackFake
from casehub.hub import Hub
from casehub.model import CaseChanges, CaseDraft
from casehub.plugins.slack.check import check
from casehub.plugins.slack.settings import SlackSettings
from casehub.testing import run_server, settle_outbox

HubFactory = Callable[..., Hub]

RULES = """
agents:
  ada: {email: ada@example.com}
triggers:
  - name: urgent cases to the urgent channel
    on: [case.created, case.updated]
    all: [{field: priority, eq: urgent}]
    actions:
      - notify_slack: {channel: urgent, mention: "@here"}
"""


@pytest.fixture
def workspace() -> Iterator[SlackFake]:
    with SlackFake() as fake:
        fake.add_channel("support-urgent")
        yield fake


@pytest.fixture
def slack_hub(make_hub: HubFactory, any_database_url: str, workspace: SlackFake, tmp_path: Path) -> HubFactory:
    (tmp_path / "rules.yaml").write_text(RULES)

    def make(deliveries: bool = True, **settings: Any) -> Hub:
        section = {
            "token": workspace.token, "signing_secret": workspace.signing_secret, "base_url": workspace.api_url,
            "channels": {"urgent": "#support-urgent"}, "case_url": "https://casehub.example.com/cases/{number}",
            **settings,
        }  # fmt: skip
        config = {
            "slack": section,
            "rules": {"file": str(tmp_path / "rules.yaml")},
            "outbox": {"poll_interval": 0.05, "backoff_base": 0.05, "backoff_cap": 0.2},
        }
        return make_hub(config, plugins={"slack": slack}, database_url=any_database_url, deliveries=deliveries)

    return make


def urgent(subject: str = "Lamp on fire", **extra: Any) -> CaseDraft:
    return CaseDraft.model_validate({"subject": subject, "priority": "urgent", "contact": {"email": "c@example.com"}, **extra})


def test_an_urgent_case_is_announced_once_and_linked_to_its_message(slack_hub: HubFactory, workspace: SlackFake) -> None:
    hub = slack_hub()
    case = hub.service.create(urgent(), actor="test")

    [row] = settle_outbox(hub)
    assert row["status"] == "done", row["last_error"]
    [message] = workspace.messages("#support-urgent")
    assert message["text"].startswith("<!here> C-000001 [urgent] Lamp on fire")
    assert "<https://casehub.example.com/cases/C-000001|C-000001>" in message["blocks"][0]["text"]["text"]
    channel = workspace.channel_id("#support-urgent")
    [link] = hub.service.get(case.id).external_links
    assert (link.system, link.id) == (f"slack_{channel.lower()}", message["ts"])


def test_later_news_goes_into_the_thread_and_the_first_message_shows_the_current_state(
    slack_hub: HubFactory, workspace: SlackFake
) -> None:
    hub = slack_hub()
    case = hub.service.create(urgent(), actor="test")
    settle_outbox(hub, 1)
    current = hub.service.get(case.id)

    hub.service.update(case.id, CaseChanges(version=current.version, subject="Lamp on fire, smoke now"), actor="agent")
    settle_outbox(hub, 2)
    current = hub.service.get(case.id)
    hub.service.update(case.id, CaseChanges(version=current.version, status="open", owner="ada"), actor="agent")
    settle_outbox(hub, 4)

    [parent] = workspace.messages("#support-urgent")  # the channel shows the case once
    replies = workspace.thread("#support-urgent", parent["ts"])
    assert len(replies) >= 1 and "smoke now" in replies[0]["text"]
    fields = " ".join(f["text"] for f in parent["blocks"][1]["fields"])
    assert "open" in fields and "ada" in fields and "smoke now" in parent["blocks"][0]["text"]["text"]


def test_a_hostile_subject_mentions_nobody(slack_hub: HubFactory, workspace: SlackFake) -> None:
    hub = slack_hub()
    hub.service.create(urgent("<!channel> <@U024BE7LH> free money <https://evil.example|here>"), actor="test")

    settle_outbox(hub)
    [message] = workspace.messages("#support-urgent")
    shown = str(message["blocks"]) + message["text"]
    assert "<!channel>" not in shown and "<@U024BE7LH>" not in shown and "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown


def test_a_channel_the_bot_is_not_in_is_a_dead_letter_naming_it(slack_hub: HubFactory, workspace: SlackFake) -> None:
    workspace.remove_bot_from("#support-urgent")
    hub = slack_hub()
    case = hub.service.create(urgent(), actor="test")

    [row] = settle_outbox(hub)
    assert row["status"] == "dead" and row["attempts"] == 1
    assert "not_in_channel" in row["last_error"] and "#support-urgent" in row["last_error"]
    assert any(e.type == "delivery.dead" for e in hub.service.events(case.id))


def test_an_unknown_channel_and_a_revoked_token_are_permanent(slack_hub: HubFactory, workspace: SlackFake) -> None:
    hub = slack_hub(channels={"urgent": "#no-such-channel"})
    hub.service.create(urgent(), actor="test")
    [row] = settle_outbox(hub)
    assert row["status"] == "dead" and "channel_not_found" in row["last_error"] and "#no-such-channel" in row["last_error"]

    workspace.revoke_token()
    other = slack_hub(channels={"urgent": "C0NOTREAL"})
    other.service.create(urgent("second"), actor="test")
    rows = settle_outbox(other, 2)
    assert rows[-1]["status"] == "dead" and "invalid_auth" in rows[-1]["last_error"]
    assert workspace.token not in rows[-1]["last_error"]


def test_a_burst_for_one_channel_becomes_one_digest_without_a_single_429(slack_hub: HubFactory, workspace: SlackFake) -> None:
    hub = slack_hub(deliveries=False)
    for n in range(12):
        hub.service.create(urgent(f"outage report {n}"), actor="test")

    hub.start_deliveries()

    rows = settle_outbox(hub, 12)
    assert all(r["status"] == "done" for r in rows)
    [digest] = workspace.messages("#support-urgent")
    assert digest["text"] == "12 cases need attention"
    assert all(f"outage report {n}" in str(digest["blocks"]) for n in range(12))
    assert not [r for r in workspace.requests if r.status == 429]


def test_buttons_act_on_the_case_as_the_agent_and_the_thread_says_so(slack_hub: HubFactory, workspace: SlackFake) -> None:
    ada = workspace.add_user("ada", "ada@example.com")
    workspace.add_member("#support-urgent", ada)
    hub = slack_hub()
    case = hub.service.create(urgent(), actor="test")
    settle_outbox(hub, 1)
    [message] = workspace.messages("#support-urgent")
    channel = workspace.channel_id("#support-urgent")

    with run_server(hub) as server:
        url = f"{server.url}/hooks/slack/actions"
        pressed = workspace.send_interaction(url, workspace.block_action_payload(ada, channel, message["ts"], "casehub_assign_me"))
        resolved = workspace.send_interaction(url, workspace.block_action_payload(ada, channel, message["ts"], "casehub_resolve"))
        forged = workspace.send_interaction(
            url, workspace.block_action_payload(ada, channel, message["ts"], "casehub_escalate"), secret="not-the-secret"
        )

    assert (pressed.status_code, resolved.status_code, forged.status_code) == (200, 200, 401)
    after = hub.service.get(case.id)
    assert (after.owner, after.status, after.is_escalated) == ("ada", "resolved", False)
    assert {e.actor for e in hub.service.events(case.id) if e.type in ("case.assigned", "case.status_changed")} == {"slack:ada"}
    settle_outbox(hub)
    notes = [m["text"] for m in workspace.thread("#support-urgent", message["ts"])]
    assert any(n.startswith("ada:") and "resolved" in n for n in notes), notes
    [parent] = workspace.messages("#support-urgent")
    assert "resolved" in " ".join(f["text"] for f in parent["blocks"][1]["fields"])


def test_case_slash_command_shows_the_case_only_to_who_asked(slack_hub: HubFactory, workspace: SlackFake) -> None:
    hub = slack_hub(deliveries=False)
    hub.service.create(urgent(), actor="test")
    user = workspace.add_user("grace", "grace@example.com")

    with run_server(hub) as server:
        url = f"{server.url}/hooks/slack/commands"
        found = workspace.send_slash_command(url, "/case", "C-000001", user, workspace.support_id)
        missing = workspace.send_slash_command(url, "/case", "C-999999", user, workspace.support_id)

    assert found.status_code == 200 and found.json()["response_type"] == "ephemeral"
    assert "Lamp on fire" in found.json()["text"]
    assert "C-999999" in missing.json()["text"]


def test_check_names_channels_the_bot_cannot_post_in(workspace: SlackFake) -> None:
    workspace.add_channel("private-room", members_bot=False)
    settings = SlackSettings.model_validate({
        "token": workspace.token, "base_url": workspace.api_url,
        "channels": {"urgent": "#support-urgent", "room": "#private-room", "gone": "#nowhere"},
    })  # fmt: skip

    lines = check(settings)

    assert lines[0][0] and "logged in" in lines[0][1]
    by_text = {message: ok for ok, message in lines}
    assert by_text["slack: channel urgent = #support-urgent: the bot can post"] is True
    assert by_text["slack: channel room = #private-room: the bot is not a member; /invite it there"] is False
    assert by_text["slack: channel gone = #nowhere: no such channel the bot can see"] is False
