"""``casehub demo``: the whole journey on this machine, against fake Salesforce, Jira and Slack.

Nothing here is a shortcut: casehub runs as ``casehub serve`` does (the HTTP
app under uvicorn, a delivery worker, the scheduler, the built-in plugins
from their entry points), the fakes answer over real HTTP, and every step is
driven from the outside — a form post, API calls, a button press in Slack, a
product manager closing the issue in Jira — and then checked where a person
would look. A step that does not happen in time fails the demo (exit 1).
"""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from casehub.cli.state import console

__all__ = ["register"]

TOKEN = "casehub-demo-token-0001"


@dataclass
class Journey:
    """The steps played and what each showed; ``failed`` counts those that did not happen."""

    steps: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.steps if not ok)

    def check(self, what: str, wait: Callable[[], str | None], timeout: float = 30.0) -> str | None:
        """Wait until ``wait()`` returns what it saw (a text), then print the step; ``None`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen: str | None = None
        while True:
            try:
                seen = wait()
            except Exception as exc:  # a step that cannot even be looked at has not happened
                seen, error = None, f"{type(exc).__name__}: {exc}"
            else:
                error = "did not happen in time"
            if seen is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        ok = seen is not None
        self.steps.append((what, ok, seen if ok else error))  # type: ignore[arg-type]
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        console.print(f"{mark} {what}" + (f" — {seen}" if ok else f" — [red]{error}[/]"), highlight=False)
        return seen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serve(app: Any, port: int) -> Iterator[None]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="casehub-demo-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("casehub's web server did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _config(workdir: Path, url: str, org: Any, org_secret: str, site: Any, hook_secret: str, ws: Any) -> dict[str, Any]:
    rules = workdir / "rules.yaml"
    rules.write_text((resources.files("casehub") / "templates" / "demo" / "rules.yaml").read_text())
    return {
        "casehub": {"database_url": f"sqlite:///{workdir / 'demo.db'}", "public_url": url},
        "api": {"tokens": [TOKEN]},
        "rules": {"file": str(rules), "tick_seconds": 1},
        "outbox": {"poll_interval": 0.2},
        "webforms": {"forms": {"support": {"title": "Contact support", "return_hosts": ["www.example.com"]}}},
        "salesforce": {"instance_url": org.url, "consumer_key": "casehub-demo", "consumer_secret": org_secret,
                       "ca_bundle": org.ca_path, "poll_interval_seconds": 5},
        "jira": {"url": site.url, "email": site.email, "api_token": site.api_token, "project": "FEED",
                 "webhook_secret": hook_secret, "case_url": url + "/api/v1/cases/{number}"},
        "slack": {"token": ws.token, "signing_secret": ws.signing_secret, "base_url": ws.api_url,
                  "channels": {"support": "#support", "urgent": "#support-urgent"}, "case_url": url + "/api/v1/cases/{number}"},
    }  # fmt: skip


def play(workdir: Path, *, interactive: bool = False, port: int = 0) -> Journey:
    from casehub.api.app import create_app
    from casehub.fakes.jira import JiraFake
    from casehub.fakes.salesforce import SalesforceFake
    from casehub.fakes.slack import SlackFake
    from casehub.hub import build_hub

    journey = Journey()
    with ExitStack() as stack:
        org = stack.enter_context(SalesforceFake())
        org_secret = secrets.token_urlsafe(16)
        org.add_client("casehub-demo", org_secret)
        site = stack.enter_context(JiraFake())
        ws = stack.enter_context(SlackFake())
        ws.add_channel("support-urgent")
        port = port or _free_port()
        url = f"http://127.0.0.1:{port}"
        hook_secret = secrets.token_urlsafe(16)
        hub = build_hub(_config(workdir, url, org, org_secret, site, hook_secret, ws), background_checkpoints=True)
        stack.callback(hub.close)
        hub.start(checkpoints=True, deliveries=True, timers=True)
        stack.enter_context(_serve(create_app(hub), port))
        site.add_webhook(f"{url}/hooks/jira", secret=hook_secret)
        console.print(f"[bold]casehub on {url}[/] — fake Salesforce {org.url}, Jira {site.url}, Slack {ws.url}\n")
        api = stack.enter_context(httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10))

        console.rule("1. A Web-to-Case form post becomes a case")
        form = {
            "orgid": "00D000000000001", "name": "Ada Lovelace", "email": "ada@example.com",
            "company": "Analytical Engines", "subject": "Printer on fire",
            "description": "Smoke coming out of the tray.", "retURL": "https://www.example.com/thanks",
        }  # fmt: skip
        posted = httpx.post(f"{url}/forms/support", data=form, headers={"Accept": "application/json"}, timeout=10)
        number = posted.json().get("number") if posted.status_code == 201 else None
        journey.check("the form post is taken in", lambda: f"HTTP {posted.status_code}, case {number}" if number else None)
        case = lambda: api.get(f"/api/v1/cases/{number}").json()  # noqa: E731
        def assigned() -> str | None:
            current = case()
            return f"queue {current['queue']}, owner {current['owner']}" if current["owner"] else None

        def escalated() -> str | None:
            current = case()
            return "escalated, queue tier2" if current["is_escalated"] and current["queue"] == "tier2" else None

        journey.check("the rules assign it", assigned)
        journey.check("an SLA clock runs", lambda: ", ".join(f"{t['name']} due {t['due_at']}" for t in case()["sla"]) or None)
        journey.check("the customer is acknowledged", lambda: _comment(api, number, "we have your request"))
        journey.check(
            "it appears in Salesforce",
            lambda: next((f"Case {r['CaseNumber']} ({r['Id']})" for r in org.records("Case") if r["Subject"] == form["subject"]), None),
        )
        journey.check("it is announced in Slack", lambda: _slack(ws, "#support", number))
        message = next((m for m in ws.messages("#support") if number and number in m["text"]), None)
        if message is not None:
            grace = ws.add_user("grace", "grace@example.com")
            ws.send_interaction(f"{url}/hooks/slack/actions",
                                ws.block_action_payload(grace, ws.support_id, message["ts"], "casehub_assign_me"))  # fmt: skip
        journey.check("'Assign to me' in Slack makes it grace's", lambda: "owner grace" if case()["owner"] == "grace" else None)

        console.rule("2. Three customers ask for the same thing: one Jira issue")
        asks = [("Export reports to Excel", "We need an Excel export of our monthly reports.", "bo@example.com"),
                ("Excel export of reports", "Could the reports be exported to Excel?", "cy@example.com"),
                ("Export our monthly reports to Excel", "An Excel export of the monthly reports would help us.", "di@example.com")]  # fmt: skip
        numbers = []
        for subject, text, email in asks:
            made = api.post("/api/v1/cases", json={"subject": subject, "description": text, "type": "feedback",
                                                   "contact": {"email": email}, "account": {"name": "Acme", "tier": "gold"}})  # fmt: skip
            numbers.append(made.json().get("number"))
        issue = journey.check("one issue for the three", lambda: _one_issue(site, api, numbers))

        console.rule("3. The product team ships it: every customer hears back")
        if issue:
            site.transition(issue.split()[0], "Done", resolution="Done")
        for n in numbers:
            journey.check(f"{n} gets its follow-up", lambda n=n: _comment(api, n, "Good news"))

        console.rule("4. Nobody answers the first case in time: the SLA breach escalates")
        journey.check("the breach escalates to tier 2", escalated, timeout=45)
        journey.check("#support-urgent hears about it", lambda: _slack(ws, "#support-urgent", number), timeout=30)

        table = Table("step", "result", title="casehub demo")
        for what, ok, seen in journey.steps:
            table.add_row(what, ("[green]✓[/] " if ok else "[red]✗[/] ") + seen)
        console.print(table)
        if interactive:
            console.print(f"\nStill running. Open {url}/forms/support (the form), {url}/docs (the API, token {TOKEN}).\n"
                          f"Fakes: Salesforce {org.url}, Jira {site.url}, Slack {ws.url}. Ctrl-C stops everything.")  # fmt: skip
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
    return journey


def _comment(api: httpx.Client, number: str | None, text: str) -> str | None:
    events = api.get(f"/api/v1/cases/{number}/events").json().get("items", []) if number else []
    found = next((e["data"]["body"] for e in events if e["type"] == "comment.added" and text in e["data"]["body"]), None)
    return f"“{found.splitlines()[0][:70]}”" if found else None


def _slack(ws: Any, channel: str, number: str | None) -> str | None:
    found = [m for m in ws.messages(channel, include_replies=True) if number and number in (m["text"] or "")]
    if not found:
        return None
    buttons = sum(len(b.get("elements", [])) for b in found[0].get("blocks") or [] if b.get("type") == "actions")
    return f"{channel}: “{found[0]['text'][:60]}”" + (f", {buttons} buttons" if buttons else "")


def _one_issue(site: Any, api: httpx.Client, numbers: list[str | None]) -> str | None:
    keys = set()
    for n in numbers:
        links = api.get(f"/api/v1/cases/{n}").json().get("external_links", []) if n else []
        keys |= {link["id"] for link in links if link["system"] == "jira"}
    if len(keys) != 1 or len([n for n in numbers if n]) != 3:
        return None
    key = keys.pop()
    labels = site.get(key)["fields"]["labels"]
    return f"{key} {next((label for label in labels if label.startswith('customers-')), '')}" if "customers-3" in labels else None


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        interactive: Annotated[bool, typer.Option("--interactive", help="Keep everything running afterwards.")] = False,
        keep: Annotated[Path | None, typer.Option("--dir", help="Keep the demo's database and rules here.")] = None,
        port: Annotated[int, typer.Option(help="casehub's port on 127.0.0.1 (0: any free one).", min=0, max=65535)] = 0,
    ) -> None:
        """Play the whole journey against fake Salesforce, Jira and Slack on this machine; exit 1 if a step fails."""
        workdir = keep or Path(tempfile.mkdtemp(prefix="casehub-demo-"))
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            journey = play(workdir, interactive=interactive, port=port)
        finally:
            if keep is None:
                shutil.rmtree(workdir, ignore_errors=True)
        if journey.failed:
            console.print(f"[bold red]{journey.failed} step(s) did not happen.[/]")
            raise typer.Exit(1)
        console.print("[bold green]Every step happened.[/]")
