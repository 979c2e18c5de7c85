"""Posting to Slack: a case's first message in a channel, its thread after that, and digests instead of floods.

The delivery engine hands over the notifications waiting for one channel
together (the key of a Slack delivery is its channel) and holds them to the
channel's one message per second. More than ``digest_after`` waiting become
one digest message; fewer are posted one by one, a second apart. A case's
first message in a channel becomes the case's ``slack_<channel>`` link (its
``ts``): later notifications go into that thread, and the first message is
updated to the case's current state, so the channel shows each case once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from casehub.model import Case, Event
from casehub.outbox import Delivery, DeliveryResult, OutboxItem
from casehub.plugins.slack.message import case_message, digest_message, note_message
from casehub.plugins.slack.mrkdwn import escape
from casehub.plugins.slack.settings import SlackSettings
from casehub.store.cases import row_to_case
from casehub.store.tables import cases

__all__ = ["DESTINATION", "PERMANENT", "Poster", "UnknownChannel", "link_system", "plan_updates"]

log = logging.getLogger(__name__)
DESTINATION = "slack"
# Errors no retry can fix: the message names the channel so the fix is obvious.
PERMANENT = {
    "invalid_auth": "the bot token is not valid (CASEHUB_SLACK__TOKEN)",
    "not_authed": "no bot token was sent",
    "account_inactive": "the bot's account is deactivated",
    "token_revoked": "the bot token was revoked",
    "channel_not_found": "there is no channel {channel} the bot can see",
    "not_in_channel": "the bot is not a member of {channel}: /invite it there",
    "is_archived": "{channel} is archived",
    "invalid_blocks": "Slack refused the message's blocks",
    "msg_too_long": "the message is too long",
    "no_text": "the message is empty",
    "restricted_action": "the workspace does not let the bot post in {channel}",
    "missing_scope": "the Slack app lacks a scope it needs (see docs/slack.md)",
    "invalid_blocks_format": "Slack refused the message's blocks",
    "thread_not_found": "the case's thread in {channel} is gone",
    "message_not_found": "the case's message in {channel} is gone",
    "cant_update_message": "the bot cannot edit the case's message in {channel}",
}
POST_INTERVAL = 1.1  # seconds between two posts to one channel: Slack allows about one a second; a margin for jitter
_TRACKED = {"case.updated", "case.status_changed", "case.assigned"}


class UnknownChannel(Exception):
    """A ``#name`` that is not in the workspace's channel list (or the bot cannot see it)."""


def link_system(channel_id: str) -> str:
    return f"slack_{channel_id.lower()}"


def threads(case: Case) -> dict[str, str]:
    """Channel id (as in the link's name) → the ts of the case's first message there."""
    found = {}
    for link in case.external_links:
        if link.system.startswith("slack_"):
            found[link.system.removeprefix("slack_").upper()] = link.id  # link names are lower case; ids are not
    return found


def plan_updates(event: Event, case: Case) -> list[Delivery]:
    """A change to a case already in Slack: refresh its message in every channel (and say who did it, if in Slack)."""
    if event.type not in _TRACKED:
        return []
    changes = event.data.get("changes") or {}
    if event.type == "case.updated" and set(changes) <= {"external_links", "custom_fields"}:
        return []  # linking it (to this very thread, say) is not news
    summary = ", ".join(f"{k} → {v[1]}" for k, v in changes.items() if isinstance(v, list) and len(v) == 2) or event.type
    payload = {"summary": summary, "actor": event.actor, "event": event.type}
    return [Delivery(DESTINATION, "update", key=channel, payload=payload) for channel in threads(case)]


class Poster:
    """One workspace: a WebClient, the channel directory, and the pacing of posts per channel."""

    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings
        self.client = WebClient(
            token=settings.token.get_secret_value(),
            base_url=str(settings.base_url),
            timeout=int(settings.timeout_seconds),
            # slack-sdk would retry a dropped connection itself, after the message may have been posted; the
            # outbox retries instead, and a 429 waits in the database, not in a worker thread.
            retry_handlers=[],
        )
        self._ids: dict[str, str] = {}  # "#name" → channel id
        self._team_url: str | None = None
        self._lock = threading.Lock()
        self._last_post: dict[str, float] = {}  # channel id → time.monotonic() of this process's last post there

    # -- the directory -------------------------------------------------------------------

    def channel_id(self, name: str) -> str:
        """``#name``, an alias or an id → the channel's id; raises :class:`UnknownChannel`."""
        wanted = self.settings.channel(name)
        if not wanted.startswith("#"):
            return wanted
        with self._lock:
            if wanted not in self._ids:
                self._load_directory()
            if wanted in self._ids:
                return self._ids[wanted]
        raise UnknownChannel(wanted)

    def _load_directory(self) -> None:
        cursor = None
        while True:
            page = self.client.conversations_list(types="public_channel,private_channel", limit=200, cursor=cursor)
            for channel in page["channels"]:
                self._ids[f"#{channel['name']}"] = channel["id"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def permalink(self, channel: str, ts: str) -> str | None:
        if self._team_url is None:
            self._team_url = str(self.client.auth_test().get("url") or "")
        return f"{self._team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}" if self._team_url else None

    # -- posting ---------------------------------------------------------------------------

    def deliver(self, items: list[OutboxItem], engine: Any) -> list[DeliveryResult]:
        key = items[0].key
        wanted = self.settings.channel(key)
        name = wanted if wanted == key else f"{wanted} (alias {key})"  # how errors name the channel
        results: dict[int, DeliveryResult] = {}
        try:
            channel = self.channel_id(key)
        except UnknownChannel:
            error = f"Slack channel_not_found: {PERMANENT['channel_not_found'].format(channel=name)}"
            return [DeliveryResult(ok=False, permanent=True, error=error) for _ in items]
        except SlackApiError as exc:  # listing the channels failed (a bad token, say)
            failed = self._failure(exc, name)
            return [failed for _ in items]
        current = _cases(engine, {i.case_id for i in items})
        notifies = [i for i in items if i.action == "notify" and i.case_id in current]
        updates = [i for i in items if i.action == "update" and i.case_id in current]
        for item in items:
            if item.case_id not in current:
                results[item.id] = DeliveryResult(ok=False, permanent=True, error="the case no longer exists")
        try:
            if len(notifies) > self.settings.digest_after:
                folded = list({i.case_id: current[i.case_id] for i in notifies}.values())
                self._post(channel, *digest_message(folded, case_url=self.settings.case_url))
                results |= {i.id: DeliveryResult() for i in notifies}
                notifies = []
            for item in notifies:
                results[item.id] = self._notify(item, current[item.case_id], channel)
            for item in updates:
                results[item.id] = self._update(item, current[item.case_id], channel)
        except SlackApiError as exc:
            failed = self._failure(exc, name)
            results |= {i.id: failed for i in items if i.id not in results}
        return [results[i.id] for i in items]

    def _pace(self, channel: str) -> None:
        """At most one post a second per channel from this process, however the posts of a batch fall.

        The delivery engine's bucket spaces the *calls*; a call that posts a
        message and a thread note, or the first post of the next call right
        after, would otherwise meet Slack's 429.
        """
        with self._lock:
            due = self._last_post.get(channel, 0.0) + POST_INTERVAL
            now = time.monotonic()
            self._last_post[channel] = max(now, due)
        if due > now:
            time.sleep(due - now)

    def _post(self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None) -> str:
        self._pace(channel)
        answer = self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False
        )
        return str(answer["ts"])

    def _notify(self, item: OutboxItem, case: Case, channel: str) -> DeliveryResult:
        params = item.payload.get("params") or {}
        template = self.settings.templates.get(params.get("template") or "default", self.settings.templates["default"])
        text, blocks = case_message(case, case_url=self.settings.case_url, template=template, mention=params.get("mention"))
        parent = threads(case).get(channel)
        if parent is None:
            ts = self._post(channel, text, blocks)
            return DeliveryResult(remote_id=ts, remote_url=self.permalink(channel, ts), link_system=link_system(channel))
        self._post(channel, text, blocks, thread_ts=parent)
        self._refresh(case, channel, parent)
        return DeliveryResult()

    def _update(self, item: OutboxItem, case: Case, channel: str) -> DeliveryResult:
        parent = threads(case).get(channel)
        if parent is None:
            return DeliveryResult()
        self._refresh(case, channel, parent)
        actor = str(item.payload.get("actor", ""))
        if actor.startswith("slack:"):  # done from Slack: the thread says by whom
            who = escape(actor.removeprefix("slack:"))
            self._post(channel, *note_message(f"{who}: {escape(item.payload.get('summary', ''))}"), thread_ts=parent)
        return DeliveryResult()

    def _refresh(self, case: Case, channel: str, ts: str) -> None:
        template = self.settings.templates["default"]
        text, blocks = case_message(case, case_url=self.settings.case_url, template=template)
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def _failure(self, exc: SlackApiError, channel: str) -> DeliveryResult:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        if error in PERMANENT:
            reason = PERMANENT[error].format(channel=channel)
            return DeliveryResult(ok=False, permanent=True, error=f"Slack {error}: {reason}")
        status = exc.response.status_code if exc.response is not None else None
        retry_after = None
        if status == 429 and exc.response is not None:
            header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            retry_after = float(header) if header else 1.0
        return DeliveryResult(ok=False, error=f"Slack {error or status}: posting to {channel}", retry_after=retry_after)


def _cases(engine: Any, ids: set[str]) -> dict[str, Case]:
    with engine.connect() as conn:
        return {c.id: c for c in map(row_to_case, conn.execute(select(cases).where(cases.c.id.in_(ids))))}
