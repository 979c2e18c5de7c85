"""The Slack fake, driven by the real slack-sdk ``WebClient`` over real HTTP.

What is checked is what the Slack plugin will rely on: the client's requests, its ``SlackApiError`` (with the
status, the ``error`` and the ``Retry-After`` header) and its retry handlers line up with the fake's answers, the
fake refuses what Slack refuses, and what it sends to an app is signed so slack-sdk's verifier accepts it.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from casehub.fakes.slack import SlackFake

TS = re.compile(r"\d{10}\.\d{6}")
BUTTONS = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*Case 42* needs an owner"}},
    {"type": "actions", "block_id": "case_42", "elements": [
        {"type": "button", "action_id": "claim", "text": {"type": "plain_text", "text": "Claim"}, "value": "42",
         "style": "primary"},
        {"type": "button", "action_id": "close", "text": {"type": "plain_text", "text": "Close"}, "value": "42"},
    ]},
]  # fmt: skip


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    with SlackFake(rate_limits=False) as slack:  # the rate limit has its own tests
        yield slack


@pytest.fixture
def client(fake: SlackFake) -> WebClient:
    return WebClient(token=fake.token, base_url=fake.url + "/api/")


def api_error(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as exc:
        call(*args, **kwargs)
    return exc.value


# -- the Web API --------------------------------------------------------------------------------------------------


def test_auth_test(fake: SlackFake, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["ok"] and answer["team_id"] == fake.team_id and answer["user_id"] == fake.bot_user_id
    assert answer["bot_id"] == fake.bot_id and answer["url"] == "https://casehub-test.slack.com/"
    assert "chat:write" in answer.headers["X-OAuth-Scopes"].split(",")
    (seen,) = fake.requests
    assert seen.method == "auth.test" and seen.http_method == "POST" and seen.status == 200
    assert seen.header("authorization") == f"Bearer {fake.token}"
    assert fake.request_count == 1


def test_post_by_id_and_by_name(fake: SlackFake, client: WebClient) -> None:
    first = client.chat_postMessage(channel=fake.general_id, text="hello")
    second = client.chat_postMessage(channel="#support", text="*bold*", mrkdwn=False, unfurl_links=True)
    assert first["channel"] == fake.general_id and second["channel"] == fake.support_id == fake.channel_id("support")
    assert TS.fullmatch(first["ts"]) and TS.fullmatch(second["ts"]) and float(second["ts"]) > float(first["ts"])
    assert second["message"]["text"] == "*bold*" and second["message"]["user"] == fake.bot_user_id
    (stored,) = fake.messages("#support")
    assert stored["ts"] == second["ts"] and stored["mrkdwn"] is False and stored["unfurl_links"] is True
    assert stored["thread_ts"] is None and stored["edited"] is None and stored["history"] == []
    # slack-sdk sends chat.postMessage as JSON, the read methods form-encoded
    assert fake.requests[0].json and fake.requests[0].body["channel"] == fake.general_id


def test_blocks_are_stored_and_returned(fake: SlackFake, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=fake.support_id, text="Case 42", blocks=BUTTONS)
    assert posted["message"]["blocks"] == BUTTONS
    assert fake.messages(fake.support_id)[0]["blocks"] == BUTTONS


def test_thread_reply_and_broadcast(fake: SlackFake, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=fake.support_id, text="Case 42 opened")["ts"]
    reply = client.chat_postMessage(channel=fake.support_id, text="assigned to Ada", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent and reply["message"]["parent_user_id"] == fake.bot_user_id
    client.chat_postMessage(channel=fake.support_id, text="closed", thread_ts=parent, reply_broadcast=True)
    assert [m["text"] for m in fake.thread(fake.support_id, parent)] == ["assigned to Ada", "closed"]
    assert [m["text"] for m in fake.messages(fake.support_id)] == ["Case 42 opened", "closed"]  # broadcast shows
    assert fake.messages(fake.support_id)[0]["reply_count"] == 2
    assert len(fake.messages(fake.support_id, include_replies=True)) == 3
    # a reply's ts names its thread too
    client.chat_postMessage(channel=fake.support_id, text="reopened", thread_ts=reply["ts"])
    assert len(fake.thread(fake.support_id, parent)) == 3
    assert api_error(client.chat_postMessage, channel=fake.support_id, text="x",
                     thread_ts="1000000000.000001").response["error"] == "thread_not_found"  # fmt: skip


def test_update_changes_the_message(fake: SlackFake, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=fake.support_id, text="Case 42", blocks=BUTTONS)
    updated = client.chat_update(channel=fake.support_id, ts=posted["ts"], text="Case 42: claimed",
                                 blocks=[BUTTONS[0]])  # fmt: skip
    assert updated["ts"] == posted["ts"] and updated["text"] == "Case 42: claimed"
    assert updated["message"]["edited"]["user"] == fake.bot_user_id
    (stored,) = fake.messages(fake.support_id)
    assert stored["text"] == "Case 42: claimed" and stored["blocks"] == [BUTTONS[0]]
    assert [(h["text"], h["blocks"]) for h in stored["history"]] == [("Case 42", BUTTONS)]
    assert api_error(client.chat_update, channel=fake.support_id, ts="1000000000.000001",
                     text="x").response["error"] == "message_not_found"  # fmt: skip
    person = fake.add_user("Ada Lovelace", "ada@example.com")
    theirs = fake.add_message(fake.support_id, "help!", person)
    assert api_error(client.chat_update, channel=fake.support_id, ts=theirs, text="x").response["error"] == (
        "cant_update_message")


def test_conversations_list_paginates(fake: SlackFake, client: WebClient) -> None:
    for n in range(5):
        fake.add_channel(f"team-{n}", members_bot=n % 2 == 0)
    secret = fake.add_channel("escalations", private=True)
    fake.add_channel("hr", private=True, members_bot=False)  # the bot can't see it
    first = client.conversations_list(limit=3)
    assert len(first["channels"]) == 3 and first["response_metadata"]["next_cursor"]
    pages = [[c["name"] for c in page["channels"]] for page in client.conversations_list(limit=3)]
    assert pages == [["general", "support", "team-0"], ["team-1", "team-2", "team-3"], ["team-4"]]
    last = client.conversations_list(limit=3, cursor=first["response_metadata"]["next_cursor"])
    assert [c["is_member"] for c in last["channels"]] == [False, True, False]
    privates = client.conversations_list(types="private_channel")["channels"]
    assert [c["id"] for c in privates] == [secret] and privates[0]["is_private"]
    assert api_error(client.conversations_list, cursor="bm9wZQ==").response["error"] == "invalid_cursor"


def test_conversations_info_and_permalink(fake: SlackFake, client: WebClient) -> None:
    info = client.conversations_info(channel=fake.support_id, include_num_members=True)["channel"]
    assert info["name"] == "support" and info["is_member"] and info["num_members"] == 1
    ts = client.chat_postMessage(channel=fake.support_id, text="x")["ts"]
    link = client.chat_getPermalink(channel=fake.support_id, message_ts=ts)["permalink"]
    assert link == f"https://casehub-test.slack.com/archives/{fake.support_id}/p{ts.replace('.', '')}"
    # only chat.postMessage takes names
    assert api_error(client.conversations_info, channel="#support").response["error"] == "channel_not_found"


def test_users_lookup_by_email(fake: SlackFake, client: WebClient) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com", tz="Europe/London")
    found = client.users_lookupByEmail(email="ADA@example.com")["user"]
    assert found["id"] == ada and found["real_name"] == "Ada Lovelace" and found["tz"] == "Europe/London"
    assert found["profile"]["email"] == "ada@example.com" and re.fullmatch(r"U[0-9A-Z]{9}", ada)
    assert client.users_info(user=ada)["user"]["name"] == "ada"
    error = api_error(client.users_lookupByEmail, email="nobody@example.com")
    assert error.response["error"] == "users_not_found" and error.response.status_code == 200
    assert api_error(client.users_info, user="U0NOBODY00").response["error"] == "user_not_found"
    # read methods take form bodies only: a JSON body's arguments are not read, as on Slack
    wrong = api_error(client.api_call, "users.lookupByEmail", json={"email": "ada@example.com"})
    assert wrong.response["error"] == "invalid_arguments"


def test_channel_errors(fake: SlackFake, client: WebClient) -> None:
    assert api_error(client.chat_postMessage, channel="#nope", text="x").response["error"] == "channel_not_found"
    outside = fake.add_channel("random", members_bot=False)
    assert api_error(client.chat_postMessage, channel=outside, text="x").response["error"] == "not_in_channel"
    fake.remove_bot_from("#support")
    assert api_error(client.chat_postMessage, channel="#support", text="x").response["error"] == "not_in_channel"
    client.conversations_join(channel=outside)
    assert client.chat_postMessage(channel=outside, text="joined")["ok"]
    hidden = fake.add_channel("hr", private=True, members_bot=False)
    assert api_error(client.chat_postMessage, channel=hidden, text="x").response["error"] == "channel_not_found"
    fake.archive_channel(outside)
    assert api_error(client.chat_postMessage, channel=outside, text="x").response["error"] == "is_archived"


def test_auth_errors(fake: SlackFake, client: WebClient) -> None:
    assert api_error(WebClient(base_url=fake.api_url).auth_test).response["error"] == "not_authed"
    assert api_error(WebClient(token="xoxb-1-2-nope", base_url=fake.api_url).auth_test).response["error"] == (
        "invalid_auth")
    fake.revoke_token()
    error = api_error(client.chat_postMessage, channel=fake.general_id, text="x")
    assert error.response["error"] == "invalid_auth" and error.response.status_code == 200
    assert WebClient(token=fake.issue_token(), base_url=fake.api_url).auth_test()["ok"]
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    fake.set_scopes(["chat:write", "users:read"])
    assert "email" not in WebClient(token=fake.token, base_url=fake.api_url).users_info(user=ada)["user"]["profile"]
    error = api_error(WebClient(token=fake.token, base_url=fake.api_url).users_lookupByEmail, email="a@b.c")
    assert error.response["error"] == "missing_scope" and error.response["needed"] == "users:read.email"


def test_message_content_errors(fake: SlackFake, client: WebClient) -> None:
    def error(**kwargs: Any) -> str:
        return str(api_error(client.chat_postMessage, channel=fake.general_id, **kwargs).response["error"])

    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "ok"}}
    invalid: list[list[Any]] = [
        [{"type": "divider"}] * 51,
        [{"type": "carousel"}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "headers are plain text"}}],
        [{"type": "actions", "elements": [{**button, "action_id": f"a{n}"} for n in range(26)]}],
        [{"type": "actions", "elements": [{**button, "text": {"type": "plain_text", "text": "x" * 76}}]}],
        [{"type": "section"}],
        ["not a block"],
    ]
    for blocks in invalid:
        assert error(text="x", blocks=blocks) == "invalid_blocks", blocks
    answer = api_error(client.chat_postMessage, channel=fake.general_id, text="x", blocks=invalid[2]).response
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
    assert client.chat_postMessage(channel=fake.general_id, text="x", blocks=[{"type": "divider"}] * 50)["ok"]
    assert error(text="x" * 40_001) == "msg_too_long"
    with pytest.warns(UserWarning, match="text"):  # slack-sdk warns before sending
        assert error(text="") == "no_text"
    assert fake.requests_for("chat.postMessage")[-1].error == "no_text"


def test_fail_next(fake: SlackFake, client: WebClient) -> None:
    fake.fail_next(1, status=500, retry_after=3)
    error = api_error(client.auth_test)
    assert error.response.status_code == 500 and error.response["error"] == "internal_error"
    assert error.response.headers["Retry-After"] == "3"
    fake.fail_next(1, error="fatal_error")
    assert api_error(client.auth_test).response["error"] == "fatal_error"
    assert client.auth_test()["ok"]


# -- the per-channel rate limit -----------------------------------------------------------------------------------


def test_second_post_within_a_second_is_rate_limited() -> None:
    with SlackFake() as fake:
        client = WebClient(token=fake.token, base_url=fake.api_url)
        client.chat_postMessage(channel=fake.general_id, text="one")
        error = api_error(client.chat_postMessage, channel=fake.general_id, text="two")
        assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
        assert error.response.headers["Retry-After"] == "1"
        assert client.chat_postMessage(channel=fake.support_id, text="another channel is fine")["ok"]
        assert [r.status for r in fake.requests] == [200, 429, 200]
        assert len(fake.messages(fake.general_id)) == 1


def test_rate_limit_retry_handler_waits_and_succeeds() -> None:
    with SlackFake() as fake:
        client = WebClient(token=fake.token, base_url=fake.api_url, retry_handlers=[RateLimitErrorRetryHandler()])
        client.chat_postMessage(channel=fake.general_id, text="one")
        started = time.monotonic()
        assert client.chat_postMessage(channel=fake.general_id, text="two")["ok"]
        assert 1.0 <= time.monotonic() - started < 3.0  # Retry-After: 1, plus the handler's random jitter
        assert [r.status for r in fake.requests] == [200, 429, 200]


def test_rate_limits_can_be_switched_off_or_loosened() -> None:
    with SlackFake(rate_limits=False) as fake:
        client = WebClient(token=fake.token, base_url=fake.api_url)
        assert all(client.chat_postMessage(channel=fake.general_id, text=str(n))["ok"] for n in range(5))
    with SlackFake(post_rate_per_channel=1.0, burst=3) as fake:
        client = WebClient(token=fake.token, base_url=fake.api_url)
        for n in range(3):
            client.chat_postMessage(channel=fake.general_id, text=str(n))
        assert api_error(client.chat_postMessage, channel=fake.general_id, text="4").response.status_code == 429


# -- Slack calling the app ----------------------------------------------------------------------------------------


class Receiver:
    """A tiny app endpoint: records what arrives and answers 200 with ``answer`` (JSON; None: an empty body, as
    apps ack Slack)."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.answer: dict[str, Any] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.received.append((self.rfile.read(int(self.headers["Content-Length"])), dict(self.headers)))
                payload = json.dumps(receiver.answer).encode() if receiver.answer is not None else b""
                self.send_response(200)
                if payload:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    app.thread.start()
    yield app
    app.server.shutdown()
    app.server.server_close()


def test_signed_block_action(fake: SlackFake, client: WebClient, receiver: Receiver) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    ts = client.chat_postMessage(channel=fake.support_id, text="Case 42", blocks=BUTTONS)["ts"]
    payload = fake.block_action_payload(ada, fake.support_id, ts, "claim")
    answer = fake.send_interaction(receiver.url, payload)
    assert answer.status_code == 200
    ((body, headers),) = receiver.received
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    verifier = SignatureVerifier(fake.signing_secret)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    sent = json.loads(parse_qs(body.decode())["payload"][0])
    assert sent == payload and sent["type"] == "block_actions"
    assert sent["user"] == {"id": ada, "username": "ada", "name": "ada", "team_id": fake.team_id}
    assert sent["channel"] == {"id": fake.support_id, "name": "support"}
    assert sent["container"] == {"type": "message", "message_ts": ts, "channel_id": fake.support_id,
                                 "is_ephemeral": False}  # fmt: skip
    assert sent["message"]["ts"] == ts and sent["message"]["blocks"] == BUTTONS
    (action,) = sent["actions"]
    assert action["action_id"] == "claim" and action["block_id"] == "case_42" and action["value"] == "42"
    assert action["type"] == "button" and TS.fullmatch(action["action_ts"])
    assert sent["response_url"].startswith(fake.url + "/response/")

    # the app answers through the response_url: Slack replaces the original message
    reply = httpx.post(sent["response_url"], json={"replace_original": True, "text": "Claimed by Ada"})
    assert reply.status_code == 200 and reply.json() == {"ok": True}
    (posted,) = fake.responses
    assert posted.effect == "replaced" and posted.channel == fake.support_id and posted.message_ts == ts
    assert fake.messages(fake.support_id)[0]["text"] == "Claimed by Ada"
    assert httpx.post(sent["response_url"], json={"response_type": "in_channel", "text": "note"}).status_code == 200
    assert httpx.post(sent["response_url"], json={"text": "only you see this"}).status_code == 200
    assert [r.effect for r in fake.wait_for_responses(3)] == ["replaced", "in_channel", "ephemeral"]
    assert [m["text"] for m in fake.messages(fake.support_id)] == ["Claimed by Ada", "note"]
    assert httpx.post(fake.url + "/response/unknown", json={"text": "x"}).status_code == 404

    with pytest.raises(ValueError):
        fake.block_action_payload(ada, fake.support_id, ts, "no-such-button")


def test_stale_or_forged_signatures_are_producible(fake: SlackFake, receiver: Receiver) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    fake.send_interaction(receiver.url, {"type": "block_actions"}, timestamp=int(time.time()) - 600)
    fake.send_slash_command(receiver.url, "/casehub", "help", ada, fake.general_id, secret="forged")
    verifier = SignatureVerifier(fake.signing_secret)
    assert not any(verifier.is_valid_request(body, headers) for body, headers in receiver.received)


def test_signed_slash_command(fake: SlackFake, receiver: Receiver) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    assert fake.send_slash_command(receiver.url, "/casehub", "open 42", ada, "#support").status_code == 200
    ((body, headers),) = receiver.received
    assert SignatureVerifier(fake.signing_secret).is_valid_request(body, headers)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert list(form) == ["token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
                          "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id"]
    assert (form["command"], form["text"], form["user_id"], form["channel_id"]) == (
        "/casehub", "open 42", ada, fake.support_id)
    assert form["token"] == fake.verification_token and form["team_id"] == fake.team_id
    assert httpx.post(form["response_url"], json={"text": "Case 42 opened"}).status_code == 200
    assert fake.responses[0].source == "slash_command" and fake.responses[0].effect == "ephemeral"
    assert fake.messages(fake.support_id) == []
    assert [(m["user"], m["text"]) for m in fake.ephemerals(fake.support_id)] == [(ada, "Case 42 opened")]


def test_slash_command_immediate_answer(fake: SlackFake, receiver: Receiver) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    receiver.answer = {"text": "Case C-000042: open"}
    answer = fake.send_slash_command(receiver.url, "/case", "C-000042", ada, fake.general_id)
    assert answer.json() == {"text": "Case C-000042: open"}
    (taken,) = fake.responses
    assert (taken.response_id, taken.effect) == ("", "ephemeral")
    assert fake.ephemerals(fake.general_id, ada)[0]["text"] == "Case C-000042: open"
    receiver.answer = {"response_type": "in_channel", "text": "for everyone"}
    fake.send_slash_command(receiver.url, "/case", "C-000042", ada, fake.general_id)
    assert [m["text"] for m in fake.messages(fake.general_id)] == ["for everyone"]


def test_post_ephemeral(fake: SlackFake, client: WebClient) -> None:
    ada = fake.add_user("Ada Lovelace", "ada@example.com")
    answer = client.chat_postEphemeral(channel=fake.general_id, user=ada, text="only you")
    assert TS.fullmatch(answer["message_ts"])
    assert fake.ephemerals(fake.general_id)[0]["text"] == "only you" and fake.messages(fake.general_id) == []
    error = api_error(client.chat_postEphemeral, channel=fake.support_id, user=ada, text="x")
    assert error.response["error"] == "user_not_in_channel"


# -- on its own -----------------------------------------------------------------------------------------------------


def test_standalone() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "casehub.fakes.slack"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = dict(line.split(":", 1) for line in (proc.stdout.readline() for _ in range(4)))
        url, token, secret = (lines[k].strip() for k in ("url", "token", "signing secret"))
        assert token.startswith("xoxb-") and secret
        client = WebClient(token=token, base_url=url + "/api/")
        assert client.chat_postMessage(channel="#general", text="demo")["ok"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
