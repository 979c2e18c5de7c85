"""The ``notify_slack`` rule action: a message about the case in a channel, keyed by that channel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from casehub.model import Case
from casehub.outbox import Delivery

__all__ = ["NotifySlack", "plan"]


class NotifySlack(BaseModel):
    """``- notify_slack: {channel: urgent, template: escalation, mention: S0123TEAM}``"""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=80, description="An alias from [slack] channels, #name or a channel id.")
    template: str | None = Field(None, description="A name from [slack] templates (default: default).")
    mention: str | None = Field(
        None,
        pattern=r"^(@here|@channel|[UWS][A-Z0-9]{2,20})$",
        description="@here, @channel, a user id (U…) or a user group id (S…) to notify.",
    )


def plan(case: Case, params: NotifySlack) -> list[Delivery]:
    # The key is the channel: the engine holds each channel to Slack's one message a second and hands the
    # notifications waiting for one channel over together (folded into a digest when there are many).
    return [Delivery("slack", "notify", key=params.channel, payload={"params": params.model_dump()})]
