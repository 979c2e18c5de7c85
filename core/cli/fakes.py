"""``casehub fakes``: the fake Salesforce org, Jira site and Slack workspace, running until Ctrl-C.

For pointing casehub, a real Web-to-Case form, curl or one's own scripts at
vendors that answer like the real ones, on this machine only. It prints the
config sections that connect casehub to them, with the secrets as the
environment variables casehub reads.
"""

from __future__ import annotations

import secrets
import signal
import threading
from contextlib import ExitStack
from typing import Annotated, Any

import typer

from casehub.cli.state import console, err_console

__all__ = ["register"]


def _start(stack: ExitStack, port: int, which: str) -> tuple[list[str], dict[str, str]] | None:
    """Start one fake; returns (config lines, environment variables), or ``None`` if it cannot run here."""
    if which == "salesforce":
        try:
            from casehub.fakes.salesforce import SalesforceFake
        except ImportError as exc:  # trustme comes with casehub[salesforce]
            err_console.print(f'[yellow]![/] no fake Salesforce: {exc}; pip install "casehub[salesforce]"')
            return None
        org = stack.enter_context(SalesforceFake(port=port))
        client_secret = secrets.token_urlsafe(24)
        org.add_client("casehub-demo", client_secret)
        lines = ["[salesforce]", f'instance_url = "{org.url}"', 'consumer_key = "casehub-demo"', f'ca_bundle = "{org.ca_path}"']
        return lines, {"CASEHUB_SALESFORCE__CONSUMER_SECRET": client_secret}
    if which == "jira":
        from casehub.fakes.jira import JiraFake

        site = stack.enter_context(JiraFake(port=port))
        lines = ["[jira]", f'url = "{site.url}"', f'email = "{site.email}"', 'project = "FEED"']
        return lines, {"CASEHUB_JIRA__API_TOKEN": site.api_token}
    from casehub.fakes.slack import SlackFake

    workspace = stack.enter_context(SlackFake(port=port))
    lines = ["[slack]", f'base_url = "{workspace.api_url}"', 'channels = { support = "#support" }']
    return lines, {"CASEHUB_SLACK__TOKEN": workspace.token, "CASEHUB_SLACK__SIGNING_SECRET": workspace.signing_secret}


def register(app: typer.Typer) -> None:
    @app.command()
    def fakes(
        salesforce_port: Annotated[int, typer.Option(help="Port of the fake Salesforce org (0: any free one).")] = 0,
        jira_port: Annotated[int, typer.Option(help="Port of the fake Jira site (0: any free one).")] = 0,
        slack_port: Annotated[int, typer.Option(help="Port of the fake Slack workspace (0: any free one).")] = 0,
    ) -> None:
        """Run fake Salesforce, Jira and Slack servers on 127.0.0.1 until Ctrl-C; print how to connect casehub."""
        stopped = threading.Event()
        previous: Any = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with ExitStack() as stack:
            config: list[str] = []
            env: dict[str, str] = {}
            for which, port in (("salesforce", salesforce_port), ("jira", jira_port), ("slack", slack_port)):
                started = _start(stack, port, which)
                if started is not None:
                    config += [*started[0], ""]
                    env |= started[1]
            console.print("[bold]Fakes running on 127.0.0.1.[/] Add to casehub.toml:\n", highlight=False)
            console.print("\n".join(config), markup=False, highlight=False)
            console.print("and set in the environment:\n", highlight=False)
            console.print("\n".join(f"export {k}={v}" for k, v in env.items()), markup=False, highlight=False)
            console.print("\nCtrl-C stops them.", highlight=False)
            try:
                stopped.wait()
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
        console.print("fakes stopped", highlight=False)
