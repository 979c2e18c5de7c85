"""Benchmark: a burst of Slack notifications against the fake workspace's one-message-per-second-per-channel limit.

600 urgent cases arrive at once, all announced to one channel, then 600 spread
over 10 channels (rules pick the channel). Reported: the 429s Slack answered
(aim: none), the messages actually posted (bursts fold into digests), and the
time from the first case until every case is visible in Slack, next to the
least time one message per case would take (600 s in one channel, 60 s over
ten).

    python bench/slack_notify.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import casehub.plugins.slack as slack
from casehub.fakes.slack import SlackFake
from casehub.host import PluginHost
from casehub.hub import build_hub
from casehub.model import CaseDraft
from casehub.testing import settle_outbox


def _rules(channels: int) -> str:
    rules = ["triggers:"]
    for n in range(channels):
        rules += [
            f"  - name: team {n}",
            "    on: [case.created]",
            f"    all: [{{field: custom.team, eq: '{n}'}}]",
            f"    actions: [{{notify_slack: {{channel: c{n}}}}}]",
        ]
    return "\n".join(rules) + "\n"


def run(notifications: int, channels: int, workdir: Path) -> dict[str, Any]:
    with SlackFake() as fake:
        ids = {f"c{n}": f"#team-{n}" for n in range(channels)}
        for name in ids.values():
            fake.add_channel(name.lstrip("#"))
        (workdir / f"rules-{channels}.yaml").write_text(_rules(channels))
        host = PluginHost()
        host.register(slack, "slack")
        config = {
            "casehub": {"database_url": f"sqlite:///{workdir / f'slack-{channels}.db'}"},
            "rules": {"file": str(workdir / f"rules-{channels}.yaml")},
            "slack": {"token": fake.token, "base_url": fake.api_url, "channels": ids},
        }
        hub = build_hub(config, plugins=host)
        hub.start(deliveries=True)
        try:
            start = time.perf_counter()
            for n in range(notifications):
                draft = CaseDraft(subject=f"Outage report {n}", priority="urgent", custom_fields={"team": str(n % channels)})
                hub.service.create(draft, actor="bench")
            rows = settle_outbox(hub, notifications, timeout=1200)
            elapsed = time.perf_counter() - start
        finally:
            hub.close()
        posts = [r for r in fake.requests if r.method == "chat.postMessage"]
        return {
            "ok": sum(1 for r in rows if r["status"] == "done"),
            "rate_limited": sum(1 for r in fake.requests if r.status == 429),
            "limited_methods": sorted({r.method for r in fake.requests if r.status == 429}),
            "posted": sum(1 for r in posts if r.status == 200),
            "seconds": elapsed,
            "minimum": notifications / channels,  # one message per case at one a second per channel
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=600)
    args = parser.parse_args()
    console = Console()
    table = Table("channels", "notifications", "429s", "messages posted", "all visible after", "one message each needs",
                  title="Slack notifications in a burst")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for channels in (1, 10):
            result = run(args.notifications, channels, Path(tmp))
            console.log(f"{channels} channel(s): {result}")
            assert result["ok"] == args.notifications
            table.add_row(str(channels), str(args.notifications), str(result["rate_limited"]), str(result["posted"]),
                          f"{result['seconds']:.1f} s", f"{result['minimum']:.0f} s")  # fmt: skip
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
