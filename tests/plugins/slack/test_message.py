"""Case messages: customer text is never markup or a mention, and every block stays within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from casehub.model import Case
from casehub.plugins.slack.message import case_message, digest_message
from casehub.plugins.slack.mrkdwn import escape

URL = "https://casehub.example.com/cases/{number}"


def a_case(n: int = 1, **fields: object) -> Case:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    values = {
        "id": f"01CASE{n:06d}", "number": f"C-{n:06d}", "subject": "Lamp flickers", "description": "", "status": "new",
        "priority": "high", "type": "problem", "channel": "web", "contact": {"name": "Ada", "email": "ada@example.com"},
        "account": {"name": "Acme", "tier": "gold"}, "tags": [], "queue": "support", "owner": None,
        "is_escalated": False, "custom_fields": {}, "external_links": [], "sla": [], "csat": None,
        "created_at": now, "updated_at": now, "first_response_at": None, "resolved_at": None, "closed_at": None,
        "version": 1,
    }  # fmt: skip
    return Case.model_validate({**values, **fields})


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_customer_text_cannot_mention_link_or_inject_markup() -> None:
    hostile = "Help <!channel> <@U024BE7LH> <https://evil.example|click me> & <!subteam^S1>"
    case = a_case(subject=hostile, contact={"name": "<!here> Mallory", "email": "m@example.com"})

    text, blocks = case_message(case, case_url=URL, template="{{ case.subject }}")

    rendered = text + all_text(blocks)
    for bad in ("<!channel>", "<@U024BE7LH>", "<https://evil.example|", "<!here>", "<!subteam^S1>"):
        assert bad not in rendered
    assert "&lt;!channel&gt;" in rendered and "&amp;" in rendered
    assert escape("a < b > c & d") == "a &lt; b &gt; c &amp; d"


def test_the_rules_own_mention_and_the_case_link_are_real_markup() -> None:
    text, blocks = case_message(a_case(), case_url=URL, template="{{ case.subject }}", mention="S0TEAM42")

    assert text.startswith("<!subteam^S0TEAM42> C-000001")
    assert "<https://casehub.example.com/cases/C-000001|C-000001>" in blocks[0]["text"]["text"]
    buttons = [e["action_id"] for e in blocks[-1]["elements"]]
    assert buttons == ["casehub_ack", "casehub_assign_me", "casehub_escalate", "casehub_resolve"]


def test_huge_text_is_cut_with_a_link_instead_of_failing_the_message() -> None:
    case = a_case(subject="x" * 250, description="word " * 30_000)

    text, blocks = case_message(case, case_url=URL, template="{{ case.description }}")

    section = blocks[0]["text"]["text"]
    assert len(section) <= 3000 and section.endswith("<https://casehub.example.com/cases/C-000001|more on the case>")
    assert all(len(f["text"]) <= 2000 for f in blocks[1]["fields"]) and len(blocks[1]["fields"]) <= 10
    assert len(text) <= 3000


def test_sla_due_time_is_shown_in_each_readers_time_zone() -> None:
    due = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)
    case = a_case(sla=[{"name": "first_response", "state": "running", "due_at": due}])

    _, blocks = case_message(case, case_url=None, template="{{ case.subject }}")

    sla = next(f["text"] for f in blocks[1]["fields"] if f["text"].startswith("*SLA*"))
    assert f"<!date^{int(due.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-25 18:30 UTC>" in sla


def test_a_digest_of_600_cases_fits_in_one_message() -> None:
    cases = [a_case(n, subject=f"Case number {n} <b>bold</b> " + "y" * 100) for n in range(1, 601)]

    text, blocks = digest_message(cases, case_url=URL)

    assert len(blocks) <= 50 and text == "600 cases need attention"
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "<b>" not in all_text(blocks)
