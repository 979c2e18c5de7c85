"""What ``casehub check`` says about Slack: the token works, and the bot can post in every configured channel."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from casehub.plugins.slack.post import PERMANENT, Poster, UnknownChannel
from casehub.plugins.slack.settings import SlackSettings

__all__ = ["check"]


def check(settings: SlackSettings) -> list[tuple[bool, str]]:
    """(ok, message) lines; posts nothing."""
    poster = Poster(settings)
    try:
        me = poster.client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "") if exc.response is not None else ""
        return [(False, f"slack: {settings.base_url}: {error}: {PERMANENT.get(error, 'the token was refused')}")]
    except OSError as exc:
        return [(False, f"slack: cannot reach {settings.base_url}: {type(exc).__name__}")]
    lines = [(True, f"slack: logged in as {me.get('user')} in {me.get('team')}")]
    for alias, name in sorted(settings.channels.items()):
        try:
            channel = poster.channel_id(name)
            info = poster.client.conversations_info(channel=channel)["channel"]
        except UnknownChannel:
            lines.append((False, f"slack: channel {alias} = {name}: no such channel the bot can see"))
            continue
        except SlackApiError as exc:
            error = exc.response.get("error", "") if exc.response is not None else ""
            lines.append((False, f"slack: channel {alias} = {name}: {error}"))
            continue
        if info.get("is_archived"):
            lines.append((False, f"slack: channel {alias} = {name} is archived"))
        elif not info.get("is_member", False):
            lines.append((False, f"slack: channel {alias} = {name}: the bot is not a member; /invite it there"))
        else:
            lines.append((True, f"slack: channel {alias} = {name}: the bot can post"))
    return lines
