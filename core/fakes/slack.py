"""A fake Slack workspace: the Web API over plain HTTP on 127.0.0.1, its state kept in memory.

The Slack plugin is tested with the real ``slack_sdk.WebClient`` against this server, so what the fake must get
right is what that client and Slack agree on: every method is a POST to ``/api/<method>`` with a form-encoded (read
methods) or JSON (``chat.postMessage``, ``chat.update``) body and an ``Authorization: Bearer`` token; every answer is
an ``{"ok": ...}`` envelope with HTTP 200, errors too (the client raises them as ``SlackApiError``), except rate
limiting: HTTP 429 with ``Retry-After`` in whole seconds, which slack-sdk's ``RateLimitErrorRetryHandler`` reads
with ``int()``. It is strict where Slack is strict (the error codes, Block Kit limits, one message per second per
channel, channels the bot is not in, read methods that ignore JSON bodies), so code that passes here does not fail
on a real workspace for a reason the fake hid.

It also plays Slack calling the app: button clicks (``block_actions``) and slash commands, form-encoded and signed
with ``signing_secret`` exactly as Slack signs them, with ``response_url``s that point back at the fake and act on
the channel the way Slack's do (replace or delete the original message, post in the channel).

``with SlackFake() as slack:`` serves on ``slack.url``; use ``WebClient(token=slack.token,
base_url=slack.url + "/api/")``. ``python -m casehub.fakes.slack`` runs one on its own.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from casehub.fakes.server import Reply as _Reply
from casehub.fakes.server import VendorServer, announce_until_ctrl_c

__all__ = ["DEFAULT_SCOPES", "RecordedRequest", "ResponsePost", "SlackFake", "main"]

# What a typical casehub bot is granted; ``chat:write.public`` is left out, so posting to a public channel the bot
# has not joined answers ``not_in_channel`` as it does for most real apps.
DEFAULT_SCOPES = ("channels:join", "channels:read", "chat:write", "commands", "groups:read", "im:read", "im:write",
                  "users:read", "users:read.email")  # fmt: skip
TEXT_LIMIT = 40_000
MAX_BLOCKS = 50
BLOCK_TYPES = frozenset({"section", "header", "context", "actions", "divider", "image", "rich_text", "markdown",
                         "video"})  # fmt: skip
RESPONSE_URL_USES = 5  # Slack: a response_url works up to five times (within 30 minutes)
SLACKBOT_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CHANNEL_NAME = re.compile(r"[\w-]{1,80}")
_TYPE_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read", "im": "im:read",
                "mpim": "mpim:read"}  # fmt: skip


# -- what the fake saw ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One Web API call as the fake saw it."""

    method: str  # the API method: "chat.postMessage"
    http_method: str
    body: Any  # parsed: a JSON object, the form fields (first value of each), raw text, or None
    query: dict[str, str]
    headers: dict[str, str]
    status: int  # the HTTP status answered
    error: str | None  # the ``error`` of an ``ok: false`` answer
    at: float  # time.time() when it arrived
    json: bool  # the body was JSON (read methods ignore JSON bodies, as Slack's do)

    def header(self, name: str) -> str | None:
        """A request header by name, case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class ResponsePost:
    """What an app posted to a ``response_url`` the fake handed out, and what it did."""

    response_id: str  # "" for a slash command's immediate HTTP answer, which Slack treats the same way
    source: str  # "block_actions" or "slash_command": what handed the URL out
    channel: str | None
    message_ts: str | None  # the message the interaction came from (block_actions)
    body: Any
    headers: dict[str, str]
    status: int
    effect: str  # "replaced", "deleted", "in_channel", "ephemeral", or the error answered
    at: float


@dataclass(frozen=True)
class _Failure:
    error: str
    status: int
    retry_after: float | None


class _ApiError(Exception):
    """An ``ok: false`` answer: ``{"ok": false, "error": error, **extra}`` with ``status`` and ``headers``."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


def _missing(name: str) -> _ApiError:
    return _ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {name}"]})


# handler, accepts JSON bodies, scope needed. Slack reads JSON only for write methods; others ignore it.
_METHODS: dict[str, tuple[str, bool, str | None]] = {
    "auth.test": ("_auth_test", True, None),
    "chat.postMessage": ("_chat_post_message", True, "chat:write"),
    "chat.update": ("_chat_update", True, "chat:write"),
    "chat.postEphemeral": ("_chat_post_ephemeral", True, "chat:write"),
    "chat.getPermalink": ("_chat_get_permalink", False, None),
    "conversations.list": ("_conversations_list", False, None),  # scopes by the types asked for
    "conversations.info": ("_conversations_info", False, None),  # scope by the channel's type
    "conversations.join": ("_conversations_join", True, "channels:join"),
    "users.info": ("_users_info", False, "users:read"),
    "users.lookupByEmail": ("_users_lookup_by_email", False, "users:read.email"),
}


# -- the fake -------------------------------------------------------------------------------------------------


class SlackFake:
    """``with SlackFake() as slack:`` serves a Slack workspace on ``slack.url`` until the block ends.

    ``post_rate_per_channel`` and ``burst`` shape the token bucket behind ``chat.postMessage``'s per-channel limit
    (Slack: about one message per second per channel); ``rate_limits=False`` switches it off.
    """

    def __init__(self, *, port: int = 0, post_rate_per_channel: float = 1.0, burst: float = 1.0,
                 rate_limits: bool = True, scopes: Iterable[str] = DEFAULT_SCOPES, team_name: str = "Casehub Test",
                 domain: str = "casehub-test") -> None:  # fmt: skip
        if post_rate_per_channel <= 0 or burst < 1:
            raise ValueError("post_rate_per_channel must be > 0 and burst >= 1")
        self.post_rate_per_channel = post_rate_per_channel
        self.burst = burst
        self.rate_limits = rate_limits
        self.requests: list[RecordedRequest] = []
        self.responses: list[ResponsePost] = []
        self._lock = threading.Condition(threading.RLock())
        self._taken: set[str] = set()
        self.team_name, self.domain = team_name, domain
        self.team_id = self._new_id("T")
        self.app_id = self._new_id("A")
        self.bot_id = self._new_id("B")
        self.signing_secret = secrets.token_hex(16)  # signs what the fake sends to the app
        self.verification_token = secrets.token_urlsafe(18)  # the deprecated ``token`` field in those payloads
        self._scopes = list(scopes)
        self._tokens: dict[str, bool] = {}  # token -> still valid
        self._users: dict[str, dict[str, Any]] = {}
        self._by_email: dict[str, str] = {}
        self._channels: dict[str, dict[str, Any]] = {}  # id -> record, in creation order (pagination's order)
        self._by_name: dict[str, str] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> all its messages, replies too, by ts
        self._index: dict[tuple[str, str], dict[str, Any]] = {}  # (channel id, ts) -> message
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}  # channel id -> messages only one person saw
        self._buckets: dict[str, tuple[float, float]] = {}  # channel id -> (tokens, time.monotonic())
        self._failures: deque[_Failure] = deque()
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._last_ts = 0
        self.bot_user_id = self._add_user("casehub", None, "UTC", real_name="Casehub", bot=True)
        self._token = self.issue_token()
        self.general_id = self._add_channel("general", True, general=True)
        self.support_id = self._add_channel("support", True)
        self._server = VendorServer(port, self._serve, name="slack-fake", content_type="application/json; charset=utf-8")

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``; the Web API is under ``/api/``."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """What ``WebClient(base_url=...)`` takes: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.url}/api/"

    @property
    def token(self) -> str:
        """The bot token (``xoxb-...``); after :meth:`revoke_token` it answers ``invalid_auth``."""
        with self._lock:
            return self._token

    def start(self) -> SlackFake:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.stop()

    def __enter__(self) -> SlackFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- test controls: the workspace ----------------------------------------------------------------------------

    def add_user(self, name: str, email: str, tz: str = "Europe/Berlin", *, display_name: str | None = None) -> str:
        """A person (``name`` is the real name), a member of #general as everyone is; returns the id ``U0...``."""
        with self._lock:
            if email.lower() in self._by_email:
                raise ValueError(f"a user with the email {email!r} exists already")
            handle = re.sub(r"[^a-z0-9._-]", "", email.split("@")[0].lower()) or "user"
            user_id = self._add_user(handle, email, tz, real_name=name, display_name=display_name or name)
            self._channels[self.general_id]["members"].add(user_id)
            return user_id

    def add_channel(self, name: str, members_bot: bool = True, *, private: bool = False,
                    members: Iterable[str] = ()) -> str:  # fmt: skip
        """A channel (``name`` without ``#``); the bot is in it if ``members_bot``. Returns the id ``C0...``."""
        members = tuple(members)
        with self._lock:
            for user_id in members:
                self._user_or_raise(user_id)
            return self._add_channel(name, members_bot, private=private, members=members)

    def archive_channel(self, channel: str) -> None:
        """Archive a channel: posting to it answers ``is_archived``."""
        with self._lock:
            self._channel_or_raise(channel)["archived"] = True

    def remove_bot_from(self, channel: str) -> None:
        """The bot leaves (is kicked from) a channel: a public one then answers ``not_in_channel``, a private one
        ``channel_not_found``."""
        with self._lock:
            self._channel_or_raise(channel)["members"].discard(self.bot_user_id)

    def add_bot_to(self, channel: str) -> None:
        with self._lock:
            self._channel_or_raise(channel)["members"].add(self.bot_user_id)

    def add_member(self, channel: str, user_id: str) -> None:
        """A person joins a channel (``chat.postEphemeral`` reaches only members)."""
        with self._lock:
            self._channel_or_raise(channel)["members"].add(self._user_or_raise(user_id)["id"])

    def channel_id(self, name: str) -> str:
        """The id of a channel by name (with or without ``#``)."""
        with self._lock:
            return str(self._channel_or_raise(name)["id"])

    def channel_info(self, channel: str) -> dict[str, Any]:
        """A channel as ``conversations.info`` renders it (for the bot)."""
        with self._lock:
            return self._render_channel(self._channel_or_raise(channel), num_members=True)

    def user_info(self, user_id: str) -> dict[str, Any]:
        """A user as ``users.info`` renders it."""
        with self._lock:
            return copy.deepcopy(self._user_or_raise(user_id))

    def add_message(self, channel: str, text: str, user_id: str, *, thread_ts: str | None = None,
                    blocks: list[dict[str, Any]] | None = None) -> str:  # fmt: skip
        """A person posts (in a thread if ``thread_ts``), not rate-limited; returns the message's ts."""
        with self._lock:
            ch = self._channel_or_raise(channel)
            self._user_or_raise(user_id)
            try:
                parent = self._thread_parent(ch["id"], thread_ts) if thread_ts else None
            except _ApiError:
                raise ValueError(f"no message {thread_ts} in {channel}") from None
            message = self._store_message(ch["id"], user_id, text, blocks, None, parent, broadcast=False, options={})
            return str(message["ts"])

    # -- test controls: tokens and scopes -------------------------------------------------------------------------

    def issue_token(self) -> str:
        """A new valid bot token, which :attr:`token` returns from now on (as after reinstalling the app)."""
        with self._lock:
            token = f"xoxb-{secrets.randbelow(10**12):012d}-{secrets.randbelow(10**13):013d}-{secrets.token_hex(12)}"
            self._tokens[token] = True
            self._token = token
            return token

    def revoke_token(self, token: str | None = None) -> None:
        """The bot token (default the current one) stops working: ``invalid_auth``."""
        with self._lock:
            self._tokens[token or self._token] = False

    @property
    def scopes(self) -> list[str]:
        with self._lock:
            return list(self._scopes)

    def set_scopes(self, scopes: Iterable[str]) -> None:
        """The bot's OAuth scopes: methods needing another answer ``missing_scope`` (with ``needed``/``provided``)."""
        with self._lock:
            self._scopes = list(scopes)

    # -- test controls: failures and what was asked ---------------------------------------------------------------

    def fail_next(self, n: int = 1, error: str = "internal_error", status: int = 200,
                  retry_after: float | None = None) -> None:  # fmt: skip
        """The next ``n`` Web API calls answer ``{"ok": false, "error": error}`` with ``status`` (and
        ``Retry-After``, rounded up to whole seconds, if given) instead of doing anything."""
        with self._lock:
            self._failures.extend([_Failure(error, status, retry_after)] * n)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """The recorded calls of one API method, e.g. ``"chat.postMessage"``."""
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.responses.clear()

    def messages(self, channel: str, include_replies: bool = False) -> list[dict[str, Any]]:
        """The channel's messages, oldest first, as the channel shows them: top-level ones and replies also sent
        to the channel (or every reply too, with ``include_replies``).

        Each is a copy with ``ts, text, blocks, thread_ts, user, subtype, edited`` (``{"user", "ts"}`` or None) and
        ``history`` (earlier versions, ``{"text", "blocks", "attachments", "replaced_at"}``), among others.
        """
        with self._lock:
            ch = self._channel_or_raise(channel)
            return [copy.deepcopy(m) for m in self._messages.get(ch["id"], [])
                    if include_replies or not _is_reply(m) or m["subtype"] == "thread_broadcast"]  # fmt: skip

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread under the message ``ts``, oldest first (the parent not included)."""
        with self._lock:
            ch = self._channel_or_raise(channel)
            if (ch["id"], ts) not in self._index:
                raise ValueError(f"no message {ts} in {channel}")
            return [copy.deepcopy(m) for m in self._messages.get(ch["id"], []) if _is_reply(m) and m["thread_ts"] == ts]

    def ephemerals(self, channel: str, user_id: str | None = None) -> list[dict[str, Any]]:
        """Messages only one person saw in the channel (``chat.postEphemeral``, ephemeral response_url posts and
        slash-command answers): ``{"ts", "user", "text", "blocks", "attachments", "thread_ts", "source"}``."""
        with self._lock:
            ch = self._channel_or_raise(channel)
            return [copy.deepcopy(m) for m in self._ephemerals.get(ch["id"], [])
                    if user_id is None or m["user"] == user_id]  # fmt: skip

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._index.get((self._channel_or_raise(channel)["id"], ts))
            return copy.deepcopy(found) if found else None

    def wait_for_messages(self, channel: str, count: int, *, timeout: float = 10.0,
                          include_replies: bool = False) -> list[dict[str, Any]]:  # fmt: skip
        """Block until the channel holds ``count`` messages; fail with how many it does."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = self.messages(channel, include_replies)
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} messages in {channel}, got {len(got)}")
                self._lock.wait(left)

    def wait_for_responses(self, count: int, *, timeout: float = 10.0) -> list[ResponsePost]:
        """Block until apps posted ``count`` times to response_urls (apps often ack first, then post)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.responses) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} response_url posts, got {len(self.responses)}")
                self._lock.wait(left)
            return list(self.responses)

    # -- test controls: Slack calling the app ---------------------------------------------------------------------

    def signed_headers(self, body: str | bytes, timestamp: int | None = None,
                       secret: str | None = None) -> dict[str, str]:  # fmt: skip
        """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (``v0=`` hex HMAC-SHA256 of ``v0:{ts}:{body}``)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        key = (self.signing_secret if secret is None else secret).encode()
        digest = hmac.new(key, f"v0:{stamp}:{text}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    def block_action_payload(self, user_id: str, channel_id: str, message_ts: str, action_id: str,
                             value: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The ``block_actions`` payload Slack sends when ``user_id`` clicks the button ``action_id`` on a message.

        The button must be on the message (Slack can't send a click on a button it never showed); ``value``
        defaults to the button's. ``response_url`` points at the fake, which records what the app posts there.
        """
        with self._lock:
            user = self._user_or_raise(user_id)
            ch = self._channel_or_raise(channel_id)
            message = self._index.get((ch["id"], message_ts))
            if message is None:
                raise ValueError(f"no message {message_ts} in {channel_id}")
            found = _find_action(message.get("blocks") or [], action_id)
            if found is None:
                raise ValueError(f"the message {message_ts} has no element with action_id {action_id!r}")
            block_id, element = found
            action: dict[str, Any] = {"action_id": action_id, "block_id": block_id}
            if "text" in element:
                action["text"] = copy.deepcopy(element["text"])
            action["value"] = value if value is not None else element.get("value", "")
            if "style" in element:
                action["style"] = element["style"]
            action.update(type=element.get("type", "button"), action_ts=f"{time.time():.6f}")
            container: dict[str, Any] = {"type": "message", "message_ts": message_ts, "channel_id": ch["id"],
                                         "is_ephemeral": False}  # fmt: skip
            if _is_reply(message):
                container["thread_ts"] = message["thread_ts"]
            return {
                "type": "block_actions",
                "user": {"id": user["id"], "username": user["name"], "name": user["name"], "team_id": self.team_id},
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "container": container,
                "trigger_id": _trigger_id(),
                "team": {"id": self.team_id, "domain": self.domain},
                "enterprise": None,
                "is_enterprise_install": False,
                "channel": {"id": ch["id"], "name": _channel_name(ch)},
                "message": self._render_message(message),
                "state": {"values": {}},
                "response_url": self._new_response_url("block_actions", ch["id"], message_ts, user["id"]),
                "actions": [action],
            }

    def send_interaction(self, url: str, payload: dict[str, Any], *, timestamp: int | None = None,
                         secret: str | None = None, timeout: float = 3.0) -> httpx.Response:  # fmt: skip
        """POST ``payload=<json>`` form-encoded and signed to the app's interactivity URL, as Slack does.

        ``timeout`` is Slack's: an app that has not answered in 3 s has failed. ``timestamp`` and ``secret``
        override the signature's, to test that the app refuses stale or forged requests.
        """
        body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
        return self._send_signed(url, body, timestamp, secret, timeout)

    def send_slash_command(self, url: str, command: str, text: str, user_id: str, channel_id: str, *,
                           timestamp: int | None = None, secret: str | None = None,
                           timeout: float = 3.0) -> httpx.Response:  # fmt: skip
        """POST a slash command (``/casehub open 42``: ``command="/casehub", text="open 42"``) to the app, signed."""
        if not command.startswith("/"):
            raise ValueError("a slash command starts with '/'")
        with self._lock:
            user = self._user_or_raise(user_id)
            ch = self._channel_or_raise(channel_id)
            form = {
                "token": self.verification_token, "team_id": self.team_id, "team_domain": self.domain,
                "channel_id": ch["id"], "channel_name": _channel_name(ch), "user_id": user["id"],
                "user_name": user["name"], "command": command, "text": text, "api_app_id": self.app_id,
                "is_enterprise_install": "false",
                "response_url": self._new_response_url("slash_command", ch["id"], None, user["id"]),
                "trigger_id": _trigger_id(),
            }  # fmt: skip
        answer = self._send_signed(url, urlencode(form), timestamp, secret, timeout)
        self._take_immediate_answer(answer, ch["id"], user["id"])
        return answer

    def _take_immediate_answer(self, answer: httpx.Response, channel_id: str, user_id: str) -> None:
        """Slack shows a slash command's HTTP answer, if it has a body, like a response_url post: JSON as a
        message (ephemeral unless ``response_type: in_channel``), plain text as ephemeral text. Recorded in
        :attr:`responses` with ``response_id=""``."""
        if answer.status_code != 200 or not answer.content:
            return
        if answer.headers.get("content-type", "").split(";")[0].strip() == "application/json":
            try:
                body: Any = answer.json()
            except ValueError:
                body = None
        else:
            body = {"text": answer.text}
        ctx = {"source": "slash_command", "channel": channel_id, "message_ts": None, "user": user_id}
        with self._lock:
            try:
                if not isinstance(body, dict):
                    raise _ApiError("invalid_payload")
                effect = self._respond(ctx, body)
            except _ApiError as exc:
                effect = exc.error
            self.responses.append(ResponsePost("", "slash_command", channel_id, None, body, dict(answer.headers),
                                               answer.status_code, effect, time.time()))  # fmt: skip
            self._lock.notify_all()

    def _send_signed(self, url: str, body: str, timestamp: int | None, secret: str | None,
                     timeout: float) -> httpx.Response:  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": SLACKBOT_USER_AGENT,
                   "Accept": "application/json,*/*", **self.signed_headers(body, timestamp, secret)}  # fmt: skip
        return httpx.post(url, content=body.encode(), headers=headers, timeout=timeout)  # never under the lock

    def _new_response_url(self, source: str, channel: str, message_ts: str | None, user_id: str) -> str:
        response_id = secrets.token_hex(12)
        self._response_urls[response_id] = {"source": source, "channel": channel, "message_ts": message_ts,
                                            "user": user_id, "uses": 0}  # fmt: skip
        return f"{self.url}/response/{response_id}"

    # -- the workspace's records ----------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        while True:
            candidate = prefix + "0" + "".join(secrets.choice(_ID_CHARS) for _ in range(8))
            if candidate not in self._taken:
                self._taken.add(candidate)
                return candidate

    def _next_ts(self) -> str:
        """A message timestamp, ``"1732530000.000100"``: unique and increasing, as Slack's are per channel."""
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _add_user(self, handle: str, email: str | None, tz: str, *, real_name: str, display_name: str = "",
                  bot: bool = False) -> str:  # fmt: skip
        try:
            now = datetime.now(ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        user_id = self._new_id("U")
        first, _, last = real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": "", "phone": "", "skype": "", "real_name": real_name, "real_name_normalized": real_name,
            "display_name": display_name, "display_name_normalized": display_name, "fields": None,
            "status_text": "", "status_emoji": "", "status_expiration": 0, "avatar_hash": secrets.token_hex(6),
            "first_name": first, "last_name": last, "image_48": f"https://avatars.slack-edge.com/{user_id}_48.png",
            "team": self.team_id,
        }  # fmt: skip
        if email is not None:
            profile["email"] = email
        if bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        offset = now.utcoffset()
        self._users[user_id] = {
            "id": user_id, "team_id": self.team_id, "name": handle, "deleted": False, "color": "4bbe2e",
            "real_name": real_name, "tz": tz, "tz_label": now.tzname() or tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0, "profile": profile, "is_admin": False,
            "is_owner": False, "is_primary_owner": False, "is_restricted": False, "is_ultra_restricted": False,
            "is_bot": bot, "is_app_user": False, "updated": int(time.time()), "is_email_confirmed": email is not None,
        }  # fmt: skip
        if email is not None:
            self._by_email[email.lower()] = user_id
        return user_id

    def _add_channel(self, name: str, members_bot: bool, *, private: bool = False, general: bool = False,
                     members: Iterable[str] = ()) -> str:  # fmt: skip
        name = name.removeprefix("#")
        if not _CHANNEL_NAME.fullmatch(name) or name != name.lower():
            raise ValueError(f"{name!r}: channel names are lower case, at most 80 characters, no spaces or periods")
        if name in self._by_name:
            raise ValueError(f"a channel #{name} exists already")
        channel_id = self._new_id("C")
        self._channels[channel_id] = {
            "id": channel_id, "name": name, "private": private, "general": general, "archived": False,
            "im_user": None, "created": int(time.time()), "creator": self.bot_user_id,
            "members": {*members, *([self.bot_user_id] if members_bot else [])},
        }  # fmt: skip
        self._by_name[name] = channel_id
        self._messages[channel_id] = []
        return channel_id

    def _open_im(self, user_id: str) -> dict[str, Any]:
        for ch in self._channels.values():
            if ch["im_user"] == user_id:
                return ch
        channel_id = self._new_id("D")
        self._channels[channel_id] = {
            "id": channel_id, "name": None, "private": True, "general": False, "archived": False, "im_user": user_id,
            "created": int(time.time()), "creator": user_id, "members": {self.bot_user_id, user_id},
        }  # fmt: skip
        self._messages[channel_id] = []
        return self._channels[channel_id]

    def _channel_or_raise(self, ref: str) -> dict[str, Any]:
        channel_id = ref if ref in self._channels else self._by_name.get(ref.removeprefix("#"))
        if channel_id is None:
            raise ValueError(f"no channel {ref!r}")
        return self._channels[channel_id]

    def _user_or_raise(self, user_id: str) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"no user {user_id!r}")
        return user

    def _visible(self, ch: dict[str, Any]) -> bool:
        """Private channels (and DMs) exist for the bot only while it is in them."""
        return not ch["private"] or self.bot_user_id in ch["members"]

    def _channel_by_id(self, args: dict[str, Any], name: str = "channel") -> dict[str, Any]:
        """Most methods take only an id; a name, or a channel the bot can't see, is ``channel_not_found``."""
        ref = _arg(args, name)
        if ref is None:
            raise _missing(name)
        ch = self._channels.get(ref)
        if ch is None or not self._visible(ch):
            raise _ApiError("channel_not_found")
        return ch

    def _thread_parent(self, channel_id: str, thread_ts: str) -> dict[str, Any]:
        parent = self._index.get((channel_id, thread_ts))
        if parent is None:
            raise _ApiError("thread_not_found")
        if _is_reply(parent):  # a reply's ts names its thread
            parent = self._index[(channel_id, parent["thread_ts"])]
        return parent

    def _store_message(self, channel_id: str, user_id: str, text: str, blocks: list[Any] | None,
                       attachments: list[Any] | None, parent: dict[str, Any] | None, *, broadcast: bool,
                       options: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        ts = self._next_ts()
        user = self._users[user_id]
        message: dict[str, Any] = {
            "type": "message", "channel": channel_id, "ts": ts, "user": user_id, "text": text,
            "blocks": blocks or None, "attachments": attachments or None,
            "thread_ts": parent["ts"] if parent else None,
            "subtype": "thread_broadcast" if parent and broadcast else None,
            "reply_broadcast": bool(parent and broadcast),
            "bot_id": user["profile"].get("bot_id"), "app_id": self.app_id if user["is_bot"] else None,
            "edited": None, "history": [], "reply_count": 0, "reply_users": [], "latest_reply": None, **options,
        }  # fmt: skip
        if parent is not None:
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] += 1
            parent["latest_reply"] = ts
            if user_id not in parent["reply_users"]:
                parent["reply_users"].append(user_id)
        self._messages[channel_id].append(message)
        self._index[(channel_id, ts)] = message
        self._lock.notify_all()
        return message

    def _delete_message(self, message: dict[str, Any]) -> None:
        channel_id = message["channel"]
        self._messages[channel_id].remove(message)
        del self._index[(channel_id, message["ts"])]
        if _is_reply(message):
            parent = self._index.get((channel_id, message["thread_ts"]))
            if parent is not None:
                parent["reply_count"] -= 1
        self._lock.notify_all()

    def _edit_message(self, message: dict[str, Any], text: str, blocks: list[Any] | None,
                      attachments: list[Any] | None) -> None:  # fmt: skip
        """``blocks``/``attachments`` None keep the old ones; an empty list removes them."""
        edit_ts = self._next_ts()
        message["history"].append({"text": message["text"], "blocks": copy.deepcopy(message["blocks"]),
                                   "attachments": copy.deepcopy(message["attachments"]), "replaced_at": edit_ts})
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks or None
        if attachments is not None:
            message["attachments"] = attachments or None
        message["edited"] = {"user": self.bot_user_id, "ts": edit_ts}
        self._lock.notify_all()

    def _take_post_token(self, channel_id: str) -> None:
        """chat.postMessage's per-channel limit: a token bucket; empty answers 429 with whole-second Retry-After."""
        if not self.rate_limits:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(channel_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.post_rate_per_channel)
        if tokens < 1.0:
            self._buckets[channel_id] = (tokens, now)
            wait = (1.0 - tokens) / self.post_rate_per_channel
            raise _ApiError("ratelimited", status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})
        self._buckets[channel_id] = (tokens - 1.0, now)

    # -- rendering ------------------------------------------------------------------------------------------------

    def _render_channel(self, ch: dict[str, Any], num_members: bool = False) -> dict[str, Any]:
        if ch["im_user"] is not None:
            return {"id": ch["id"], "created": ch["created"], "is_archived": False, "is_im": True,
                    "is_org_shared": False, "context_team_id": self.team_id, "updated": ch["created"] * 1000,
                    "user": ch["im_user"], "is_user_deleted": False, "priority": 0}  # fmt: skip
        rendered = {
            "id": ch["id"], "name": ch["name"], "is_channel": not ch["private"], "is_group": ch["private"],
            "is_im": False, "is_mpim": False, "is_private": ch["private"], "created": ch["created"],
            "is_archived": ch["archived"], "is_general": ch["general"], "unlinked": 0, "name_normalized": ch["name"],
            "is_shared": False, "is_org_shared": False, "is_pending_ext_shared": False, "pending_shared": [],
            "context_team_id": self.team_id, "updated": ch["created"] * 1000, "parent_conversation": None,
            "creator": ch["creator"], "is_ext_shared": False, "shared_team_ids": [self.team_id],
            "pending_connected_team_ids": [], "is_member": self.bot_user_id in ch["members"],
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
        }  # fmt: skip
        if num_members:
            rendered["num_members"] = len(ch["members"])
        return rendered

    def _render_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as the API shows it: only the keys Slack sends."""
        out: dict[str, Any] = {"type": "message"}
        if message["subtype"]:
            out["subtype"] = message["subtype"]
        out.update(text=message["text"], user=message["user"], ts=message["ts"], team=self.team_id)
        if message["bot_id"]:
            out.update(bot_id=message["bot_id"], app_id=message["app_id"])
            out["bot_profile"] = {"id": self.bot_id, "app_id": self.app_id, "name": "casehub", "deleted": False,
                                  "icons": {"image_48": "https://a.slack-edge.com/casehub_48.png"},
                                  "updated": int(time.time()), "team_id": self.team_id}  # fmt: skip
        for key in ("blocks", "attachments", "metadata", "username", "icon_emoji", "icon_url"):
            if message.get(key):
                out[key] = copy.deepcopy(message[key])
        if message["thread_ts"]:
            out["thread_ts"] = message["thread_ts"]
            if _is_reply(message):
                out["parent_user_id"] = self._index[(message["channel"], message["thread_ts"])]["user"]
            else:
                out.update(reply_count=message["reply_count"], reply_users_count=len(message["reply_users"]),
                           latest_reply=message["latest_reply"], reply_users=list(message["reply_users"]))
        if message["edited"]:
            out["edited"] = dict(message["edited"])
        return out

    def _permalink(self, channel_id: str, message: dict[str, Any]) -> str:
        link = f"https://{self.domain}.slack.com/archives/{channel_id}/p{message['ts'].replace('.', '')}"
        if _is_reply(message):
            link += f"?thread_ts={message['thread_ts']}&cid={channel_id}"
        return link

    # -- HTTP -----------------------------------------------------------------------------------------------------

    def _serve(self, http_method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        split = urlsplit(target)
        lower = {k.lower(): v for k, v in headers.items()}
        if split.path.startswith("/response/"):
            return self._serve_response_url(split.path.removeprefix("/response/"), headers, lower, raw)
        if not split.path.startswith("/api/"):
            return _Reply(404, {"ok": False, "error": "not_found"})
        method = split.path.removeprefix("/api/")
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body, is_json, problem = _parse_body(lower.get("content-type", ""), raw)
        with self._lock:
            reply = self._api(method, query, body, is_json, problem, lower)
            error = None if reply.body.get("ok") else reply.body.get("error")
            self.requests.append(RecordedRequest(method, http_method, body, query, headers, reply.status, error,
                                                 time.time(), is_json))  # fmt: skip
            self._lock.notify_all()
            return reply

    def _api(self, method: str, query: dict[str, str], body: Any, is_json: bool, problem: str | None,
             headers: dict[str, str]) -> _Reply:  # fmt: skip
        reply_headers = {"X-Slack-Req-Id": secrets.token_hex(16)}
        if self._failures:
            failure = self._failures.popleft()
            if failure.retry_after is not None:
                reply_headers["Retry-After"] = str(max(0, math.ceil(failure.retry_after)))
            return _Reply(failure.status, {"ok": False, "error": failure.error}, reply_headers)
        spec = _METHODS.get(method)
        if spec is None:
            return _Reply(404, {"ok": False, "error": "unknown_method", "req_method": method}, reply_headers)
        handler_name, accepts_json, scope = spec
        reply_headers["X-Accepted-OAuth-Scopes"] = scope or ""
        try:
            if problem:
                raise _ApiError(problem)
            args: dict[str, Any] = dict(query)
            if isinstance(body, dict) and (accepts_json or not is_json):
                args.update(body)
            authorization = headers.get("authorization", "")
            scheme, _, bearer = authorization.strip().partition(" ")
            token = bearer.strip() if scheme.lower() == "bearer" else ""
            if not token and not is_json and isinstance(body, dict):
                token = str(body.get("token") or "")  # form bodies may carry it; JSON bodies and query strings not
            args.pop("token", None)
            if not token:
                raise _ApiError("not_authed")
            if not self._tokens.get(token):
                raise _ApiError("invalid_auth")
            reply_headers["X-OAuth-Scopes"] = ",".join(self._scopes)
            if scope:
                self._require(scope)
            result = getattr(self, handler_name)(args)
        except _ApiError as exc:
            return _Reply(exc.status, {"ok": False, "error": exc.error, **exc.extra}, {**reply_headers, **exc.headers})
        return _Reply(200, {"ok": True, **result}, reply_headers)

    def _require(self, scope: str) -> None:
        if scope not in self._scopes:
            raise _ApiError("missing_scope", needed=scope, provided=",".join(self._scopes))

    # -- the methods ------------------------------------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"https://{self.domain}.slack.com/", "team": self.team_name, "user": "casehub",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}  # fmt: skip

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ref = _arg(args, "channel")
        if ref is None:
            raise _missing("channel")
        ch = self._post_target(ref)
        blocks = _parse_blocks(args.get("blocks"))
        attachments = _parse_attachments(args.get("attachments"))
        text = _arg(args, "text") or ""
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if len(text) > TEXT_LIMIT:
            raise _ApiError("msg_too_long")
        thread_ts = _arg(args, "thread_ts")
        parent = self._thread_parent(ch["id"], thread_ts) if thread_ts else None
        self._take_post_token(ch["id"])
        options: dict[str, Any] = {"mrkdwn": _flag(args.get("mrkdwn"), True),
                                   "unfurl_links": _flag(args.get("unfurl_links"), False),
                                   "unfurl_media": _flag(args.get("unfurl_media"), True)}  # fmt: skip
        for key in ("username", "icon_emoji", "icon_url", "parse", "link_names"):
            if args.get(key) not in (None, ""):
                options[key] = args[key]
        if args.get("metadata") not in (None, ""):
            options["metadata"] = _json_arg(args["metadata"], "invalid_metadata_format")
        message = self._store_message(ch["id"], self.bot_user_id, text, blocks, attachments, parent,
                                      broadcast=_flag(args.get("reply_broadcast"), False), options=options)
        return {"channel": ch["id"], "ts": message["ts"], "message": self._render_message(message)}

    def _post_target(self, ref: str) -> dict[str, Any]:
        """chat.postMessage alone takes an id, ``#name``, a bare name, or a user id (the app's DM with them)."""
        if ref in self._users and not self._users[ref]["is_bot"]:
            ch = self._open_im(ref)
        else:
            channel_id = ref if ref in self._channels else self._by_name.get(ref.removeprefix("#"))
            ch = self._channels.get(channel_id) if channel_id else None
            if ch is None or not self._visible(ch):
                raise _ApiError("channel_not_found")
        if ch["archived"]:
            raise _ApiError("is_archived")
        if self.bot_user_id not in ch["members"] and "chat:write.public" not in self._scopes:
            raise _ApiError("not_in_channel")
        return ch

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel_by_id(args)
        ts = _arg(args, "ts")
        if ts is None:
            raise _missing("ts")
        message = self._index.get((ch["id"], ts))
        if message is None:
            raise _ApiError("message_not_found")
        if message["user"] != self.bot_user_id:
            raise _ApiError("cant_update_message")
        if all(args.get(key) is None for key in ("text", "blocks", "attachments")):
            raise _ApiError("no_text")
        blocks = _parse_blocks(args.get("blocks"))
        attachments = _parse_attachments(args.get("attachments"))
        text = _arg(args, "text")
        new_text = message["text"] if text is None else text
        if len(new_text) > TEXT_LIMIT:
            raise _ApiError("msg_too_long")
        if not new_text and not (message["blocks"] if blocks is None else blocks) and not (
                message["attachments"] if attachments is None else attachments):  # fmt: skip
            raise _ApiError("no_text")
        self._edit_message(message, new_text, blocks, attachments)
        return {"channel": ch["id"], "ts": ts, "text": new_text, "message": self._render_message(message)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """A message only ``user`` sees, in a channel they are in; kept apart (:meth:`ephemerals`), never stored."""
        ref = _arg(args, "channel")
        if ref is None:
            raise _missing("channel")
        user_id = _arg(args, "user")
        if user_id is None:
            raise _missing("user")
        ch = self._post_target(ref)
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        if user_id not in ch["members"]:
            raise _ApiError("user_not_in_channel")
        blocks = _parse_blocks(args.get("blocks"))
        attachments = _parse_attachments(args.get("attachments"))
        text = _arg(args, "text") or ""
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if len(text) > TEXT_LIMIT:
            raise _ApiError("msg_too_long")
        ts = self._next_ts()
        self._ephemerals.setdefault(ch["id"], []).append(
            {"ts": ts, "user": user_id, "text": text, "blocks": blocks or None, "attachments": attachments or None,
             "thread_ts": _arg(args, "thread_ts"), "source": "chat.postEphemeral"})  # fmt: skip
        self._lock.notify_all()
        return {"message_ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel_by_id(args)
        ts = _arg(args, "message_ts")
        if ts is None:
            raise _missing("message_ts")
        message = self._index.get((ch["id"], ts))
        if message is None:
            raise _ApiError("message_not_found")
        return {"channel": ch["id"], "permalink": self._permalink(ch["id"], message)}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        types = [t.strip() for t in (_arg(args, "types") or "public_channel").split(",") if t.strip()]
        if any(t not in _TYPE_SCOPES for t in types):
            raise _ApiError("invalid_types")
        for t in types:
            self._require(_TYPE_SCOPES[t])
        try:
            limit = int(_arg(args, "limit") or 100)
        except ValueError:
            raise _ApiError("invalid_limit") from None
        if not 1 <= limit <= 1000:
            raise _ApiError("invalid_limit")
        exclude_archived = _flag(args.get("exclude_archived"), False)
        order = list(self._channels)
        start = 0
        cursor = _arg(args, "cursor")
        if cursor:
            try:
                kind, _, after = base64.b64decode(cursor, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _ApiError("invalid_cursor") from None
            if kind != "channel" or after not in self._channels:
                raise _ApiError("invalid_cursor")
            start = order.index(after)

        def kind_of(ch: dict[str, Any]) -> str:
            return "im" if ch["im_user"] else "private_channel" if ch["private"] else "public_channel"

        matching = [self._channels[c] for c in order[start:]]
        matching = [ch for ch in matching if kind_of(ch) in types and self._visible(ch)
                    and not (exclude_archived and ch["archived"])]  # fmt: skip
        page, rest = matching[:limit], matching[limit:]
        next_cursor = base64.b64encode(f"channel:{rest[0]['id']}".encode()).decode() if rest else ""
        return {"channels": [self._render_channel(ch, num_members=ch["im_user"] is None) for ch in page],
                "response_metadata": {"next_cursor": next_cursor}}  # fmt: skip

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel_by_id(args)
        self._require("im:read" if ch["im_user"] else "groups:read" if ch["private"] else "channels:read")
        return {"channel": self._render_channel(ch, num_members=_flag(args.get("include_num_members"), False))}

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel_by_id(args)
        if ch["private"]:
            raise _ApiError("method_not_supported_for_channel_type")
        if ch["archived"]:
            raise _ApiError("is_archived")
        if self.bot_user_id in ch["members"]:
            return {"channel": self._render_channel(ch), "warning": "already_in_channel",
                    "response_metadata": {"warnings": ["already_in_channel"]}}  # fmt: skip
        ch["members"].add(self.bot_user_id)
        return {"channel": self._render_channel(ch)}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = _arg(args, "user")
        if user_id is None:
            raise _missing("user")
        user = self._users.get(user_id)
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._render_user(user)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = _arg(args, "email")
        if email is None:
            raise _missing("email")
        user_id = self._by_email.get(email.lower())
        if user_id is None:
            raise _ApiError("users_not_found")
        return {"user": self._render_user(self._users[user_id])}

    def _render_user(self, user: dict[str, Any]) -> dict[str, Any]:
        """Slack shows ``profile.email`` only to apps with ``users:read.email``."""
        rendered = copy.deepcopy(user)
        if "users:read.email" not in self._scopes:
            rendered["profile"].pop("email", None)
        return rendered

    # -- response_url -----------------------------------------------------------------------------------------------

    def _serve_response_url(self, response_id: str, headers: dict[str, str], lower: dict[str, str],
                            raw: bytes) -> _Reply:  # fmt: skip
        body, _, problem = _parse_body(lower.get("content-type", "application/json"), raw)
        if isinstance(body, dict) and set(body) == {"payload"} and isinstance(body["payload"], str):
            body, problem = _json_arg(body["payload"], "invalid_payload"), None  # a form-encoded ``payload=``
        with self._lock:
            ctx = self._response_urls.get(response_id)
            if ctx is None or ctx["uses"] >= RESPONSE_URL_USES:
                reply, effect = _Reply(404, {"ok": False, "error": "expired_url"}), "expired_url"
            else:
                ctx["uses"] += 1
                try:
                    if problem or not isinstance(body, dict):
                        raise _ApiError("invalid_payload", status=400)
                    effect = self._respond(ctx, body)
                    reply = _Reply(200, {"ok": True})
                except _ApiError as exc:
                    reply, effect = _Reply(400, {"ok": False, "error": exc.error, **exc.extra}), exc.error
            ctx = ctx or {"source": "", "channel": None, "message_ts": None}
            self.responses.append(ResponsePost(response_id, ctx["source"], ctx["channel"], ctx["message_ts"], body,
                                               headers, reply.status, effect, time.time()))  # fmt: skip
            self._lock.notify_all()
            return reply

    def _respond(self, ctx: dict[str, Any], body: dict[str, Any]) -> str:
        """What Slack does with a response_url post: replace or delete the original, post in the channel, or
        show the poster alone an ephemeral message (which the channel never holds)."""
        original = self._index.get((ctx["channel"], ctx["message_ts"])) if ctx["message_ts"] else None
        if _flag(body.get("delete_original"), False):
            if original is not None:
                self._delete_message(original)
            return "deleted"
        blocks = _parse_blocks(body.get("blocks"))
        attachments = _parse_attachments(body.get("attachments"))
        text = _arg(body, "text") or ""
        if not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if len(text) > TEXT_LIMIT:
            raise _ApiError("msg_too_long")
        if _flag(body.get("replace_original"), False) and original is not None:
            self._edit_message(original, text, blocks or [], attachments or [])
            return "replaced"
        if body.get("response_type") == "in_channel":
            thread_ts = _arg(body, "thread_ts")
            parent = self._thread_parent(ctx["channel"], thread_ts) if thread_ts else None
            self._store_message(ctx["channel"], self.bot_user_id, text, blocks, attachments, parent, broadcast=False,
                                options={})  # fmt: skip
            return "in_channel"
        self._ephemerals.setdefault(ctx["channel"], []).append(
            {"ts": self._next_ts(), "user": ctx["user"], "text": text, "blocks": blocks, "attachments": attachments,
             "thread_ts": _arg(body, "thread_ts"), "source": ctx["source"]})  # fmt: skip
        return "ephemeral"


# -- helpers ----------------------------------------------------------------------------------------------------


def _is_reply(message: dict[str, Any]) -> bool:
    return bool(message["thread_ts"]) and message["thread_ts"] != message["ts"]


def _channel_name(ch: dict[str, Any]) -> str:
    return "directmessage" if ch["im_user"] else str(ch["name"])


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}"


def _arg(args: dict[str, Any], name: str) -> str | None:
    """An argument as a string; absent or empty is None (JSON numbers become strings, as Slack reads them)."""
    value = args.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def _json_arg(value: Any, error: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise _ApiError(error) from None


def _parse_attachments(raw: Any) -> list[Any] | None:
    if raw is None or raw == "":
        return None
    attachments = _json_arg(raw, "invalid_attachments")
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise _ApiError("invalid_attachments")
    return attachments


def _parse_blocks(raw: Any) -> list[Any] | None:
    """``blocks`` as sent (a list in JSON bodies, a JSON string in form bodies), validated lightly as Slack does."""
    if raw is None or raw == "":
        return None
    blocks = _json_arg(raw, "invalid_blocks_format")
    if not isinstance(blocks, list):
        raise _ApiError("invalid_blocks_format")
    problems = _block_problems(blocks)
    if problems:
        raise _ApiError("invalid_blocks", errors=problems,
                        response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})  # fmt: skip
    return blocks


def _block_problems(blocks: list[Any]) -> list[str]:
    """Block Kit's main limits, reported as Slack words them: ``"<what> [json-pointer:/blocks/0/text]"``."""
    problems: list[str] = []

    def bad(message: str, pointer: str) -> None:
        problems.append(f"{message} [json-pointer:{pointer}]")

    def text_object(obj: Any, at: str, limit: int, plain_only: bool = False) -> None:
        kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if not isinstance(obj, dict) or obj.get("type") not in kinds:
            bad("failed to match all allowed schemas", at)
            return
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            bad("must be more than 0 characters", f"{at}/text")
        elif len(text) > limit:
            bad(f"must be less than {limit + 1} characters", f"{at}/text")

    def string(value: Any, at: str, limit: int, required: bool = False) -> None:
        if value is None:
            if required:
                bad("missing required field", at)
        elif not isinstance(value, str) or not value:
            bad("must be more than 0 characters", at)
        elif len(value) > limit:
            bad(f"must be less than {limit + 1} characters", at)

    def element(el: Any, at: str) -> None:
        if not isinstance(el, dict) or not isinstance(el.get("type"), str):
            bad("failed to match all allowed schemas", at)
            return
        string(el.get("action_id"), f"{at}/action_id", 255)
        if el["type"] == "button":
            text_object(el.get("text"), f"{at}/text", 75, plain_only=True)
            string(el.get("value"), f"{at}/value", 2000)
            string(el.get("url"), f"{at}/url", 3000)
            if el.get("style") not in (None, "primary", "danger"):
                bad("must be one of primary, danger", f"{at}/style")
        elif el["type"] == "image":
            string(el.get("image_url"), f"{at}/image_url", 3000, required="slack_file" not in el)
            string(el.get("alt_text"), f"{at}/alt_text", 2000, required=True)

    if len(blocks) > MAX_BLOCKS:
        bad(f"no more than {MAX_BLOCKS} items allowed", "/blocks")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            bad("failed to match all allowed schemas", at)
            continue
        kind = block["type"]
        block_id = block.get("block_id")
        string(block_id, f"{at}/block_id", 255)
        if isinstance(block_id, str):
            if block_id in block_ids:
                bad("duplicate block_id", f"{at}/block_id")
            block_ids.add(block_id)
        if kind == "section":
            if block.get("text") is None and block.get("fields") is None:
                bad("must provide either text or fields", at)
            if block.get("text") is not None:
                text_object(block["text"], f"{at}/text", 3000)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or not 0 < len(fields) <= 10:
                    bad("must be a list of 1 to 10 items", f"{at}/fields")
                else:
                    for j, f in enumerate(fields):
                        text_object(f, f"{at}/fields/{j}", 2000)
            if block.get("accessory") is not None:
                element(block["accessory"], f"{at}/accessory")
        elif kind == "header":
            text_object(block.get("text"), f"{at}/text", 150, plain_only=True)
        elif kind in ("context", "actions"):
            limit = 10 if kind == "context" else 25
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                bad("must provide at least 1 item", f"{at}/elements")
                continue
            if len(elements) > limit:
                bad(f"no more than {limit} items allowed", f"{at}/elements")
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                if kind == "context" and isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                    text_object(el, f"{at}/elements/{j}", 3000)
                elif kind == "context" and not (isinstance(el, dict) and el.get("type") == "image"):
                    bad("failed to match all allowed schemas", f"{at}/elements/{j}")
                else:
                    element(el, f"{at}/elements/{j}")
                    action_id = el.get("action_id") if isinstance(el, dict) else None
                    if isinstance(action_id, str):
                        if action_id in action_ids:
                            bad("duplicate action_id", f"{at}/elements/{j}/action_id")
                        action_ids.add(action_id)
        elif kind == "image":
            string(block.get("image_url"), f"{at}/image_url", 3000, required="slack_file" not in block)
            string(block.get("alt_text"), f"{at}/alt_text", 2000, required=True)
            if block.get("title") is not None:
                text_object(block["title"], f"{at}/title", 2000, plain_only=True)
        elif kind == "rich_text":
            if not isinstance(block.get("elements"), list):
                bad("missing required field", f"{at}/elements")
        elif kind == "markdown":
            string(block.get("text"), f"{at}/text", 12000, required=True)
    return problems


def _find_action(blocks: list[Any], action_id: str) -> tuple[str, dict[str, Any]] | None:
    """(block_id, element) of the interactive element ``action_id`` in a message's blocks."""
    for i, block in enumerate(blocks):
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for el in candidates:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return str(block.get("block_id") or f"b{i}"), el
    return None


def _parse_body(content_type: str, raw: bytes) -> tuple[Any, bool, str | None]:
    """(arguments, was JSON, error code if unreadable): JSON, url-encoded or multipart forms, as Slack reads them."""
    kind = content_type.split(";", 1)[0].strip().lower()
    is_json = kind == "application/json"
    if not raw:
        return None, is_json, None
    text = raw.decode("utf-8", "replace")
    if is_json:
        try:
            body = json.loads(text)
        except ValueError:
            return text, True, "invalid_json"
        return body, True, None if isinstance(body, dict) else "invalid_json"
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        if not message.is_multipart():
            return text, False, "invalid_form_data"
        form: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if isinstance(name, str) and name not in form:
                filename = part.get_filename()
                form[name] = {"filename": filename, "size": len(payload)} if filename else payload.decode("utf-8")
        return form, False, None
    if kind in ("application/x-www-form-urlencoded", ""):
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}, False, None
    return text, False, "invalid_post_type"


def main(argv: list[str] | None = None) -> None:
    """``python -m casehub.fakes.slack [--port N]``: a fake workspace for demos and scripts; Ctrl-C stops it."""
    parser = argparse.ArgumentParser(prog="python -m casehub.fakes.slack", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args(argv)
    with SlackFake(port=args.port) as fake:
        announce_until_ctrl_c([
            f"url:            {fake.url}",
            f"base url:       {fake.api_url}  (WebClient(base_url=...))",
            f"token:          {fake.token}",
            f"signing secret: {fake.signing_secret}",
            f"channels:       #general {fake.general_id}, #support {fake.support_id}",
        ])


if __name__ == "__main__":
    main()
