"""The example rules file (config/, and what `casehub init` writes) loads and does what its comments say."""

from __future__ import annotations

from pathlib import Path

from casehub.rules.engine import RuleEngine
from casehub.rules.source import read_rules

ROOT = Path(__file__).resolve().parents[3]


def test_the_example_and_the_template_compile_and_are_the_same() -> None:
    example = ROOT / "config" / "rules.yaml"
    template = ROOT / "core" / "templates" / "rules.yaml"
    assert example.read_text() == template.read_text()
    engine = RuleEngine.compile(read_rules(example), {})
    assert [r.name for r in engine.triggers] == ["acknowledge new requests", "gold accounts are urgent", "breaches go to tier 2"]
    assert len(engine.assignment) == 2 and len(engine.automations) == 1 and len(engine.sla.policies) == 2


def test_the_example_on_a_new_web_case(make_hub, any_database_url: str) -> None:  # type: ignore[no-untyped-def]
    from casehub.model import Account, CaseDraft, Contact

    hub = make_hub({"rules": {"file": str(ROOT / "config" / "rules.yaml")}}, database_url=any_database_url)
    case = hub.service.create(
        CaseDraft(subject="Refund for invoice 4711", channel="web", contact=Contact(name="Ann", email="ann@acme.example"),
                  account=Account(name="Acme", tier="gold")),
        actor="web",
    )  # fmt: skip
    assert (case.queue, case.owner, case.priority, case.tags) == ("billing", "ada", "urgent", ["vip"])
    assert {t.name: t.policy for t in case.sla} == {"first_response": "urgent", "resolution": "urgent"}
    [reply] = [e.data for e in hub.service.events(case.id) if e.type == "comment.added"]
    assert reply["public"] and reply["body"].startswith("Hello Ann,")


def test_the_example_config_serves_its_form(make_hub, serve, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import tomllib

    import casehub.plugins.webforms as webforms

    config = tomllib.loads((ROOT / "config" / "casehub.toml").read_text())
    config["casehub"]["database_url"] = f"sqlite:///{tmp_path / 'example.db'}"
    config["rules"]["file"] = str(ROOT / "config" / "rules.yaml")
    hub = make_hub(config, plugins={"webforms": webforms})
    with serve(hub) as client:
        assert client.get("/forms/support").status_code == 200
        posted = client.post("/forms/support", json={"email": "ann@example.com", "subject": "Lamp", "product": "Lamp"})
    assert posted.status_code == 201
    case = hub.service.get(posted.json()["id"])
    assert (case.channel, case.queue, case.custom_fields["product"]) == ("web", "support", "Lamp")
