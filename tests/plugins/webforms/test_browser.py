"""The form page in a real headless Chromium (Debian's), driven by Playwright: fill, submit, see the result.

Needs the ``chromium`` package (``.ci/run`` installs it); without it the test is
skipped with that reason, never silently passed.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

import casehub.plugins.webforms as webforms
from casehub.hub import Hub
from casehub.store.cases import CaseFilter
from casehub.testing import run_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def site(make_hub: Callable[..., Hub], tmp_path: Path) -> Iterator[tuple[Hub, str]]:
    form = {"title": "Contact support", "show": ["name", "email", "subject", "description", "product"],
            "fields": {"product": "custom.product"}, "choices": {"product": ["Lamp", "Chair"]},
            "min_fill_seconds": 1}  # fmt: skip
    hub = make_hub({"webforms": {"forms": {"support": form}}}, plugins={"webforms": webforms})
    with run_server(hub) as server:
        yield hub, server.url


def reddish(png: bytes) -> int:
    """How many pixels are the error colour's red: the essential element the eye must find."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    red, green, blue = (band.tobytes() for band in image.split())
    return sum(1 for r, g, b in zip(red, green, blue, strict=True) if r > 150 and g < 60 and b < 80)


def test_a_person_fills_in_the_form_and_gets_their_case_number(browser, site) -> None:  # type: ignore[no-untyped-def]
    hub, url = site
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{url}/forms/support")
    assert page.get_by_role("heading", name="Contact support").is_visible()
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Subject").fill("Lamp <b>flickers</b>")
    page.get_by_label("How can we help?").fill("Since Monday.")
    page.get_by_label("Product").select_option("Lamp")
    trap = page.locator("#f-trap").bounding_box()
    assert trap is not None and trap["x"] + trap["width"] < 0, "the honeypot is off screen, not in a person's way"
    page.wait_for_timeout(1100)  # people take a moment; a post within min_fill_seconds is a bot's
    shot = page.screenshot(full_page=True)
    assert Image.open(io.BytesIO(shot)).size[0] == 390
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    status = page.get_by_role("status")
    assert "We have your request C-000001" in status.inner_text()
    case = hub.service.get("C-000001")
    assert (case.subject, case.contact.email, case.custom_fields) == ("Lamp <b>flickers</b>", "ada@example.com", {"product": "Lamp"})


def test_mistakes_are_shown_inline_and_what_was_typed_stays(browser, site) -> None:  # type: ignore[no-untyped-def]
    hub, url = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/forms/support")
    page.get_by_label("Your name").fill("Grace")
    page.get_by_label("Email").fill("grace-at-example")
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    alert = page.locator("#form-errors")
    assert alert.is_visible() and "2 marked fields" in alert.inner_text()
    assert page.locator("#e-subject").inner_text() == "Subject is required"
    assert "not a valid email address" in page.locator("#e-email").inner_text()
    assert page.get_by_label("Your name").input_value() == "Grace"
    assert page.get_by_label("Email").input_value() == "grace-at-example"
    assert page.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert reddish(alert.screenshot()) > 100, "the error box is visibly marked"
    assert reddish(page.locator("#e-subject").screenshot()) > 20, "the field's error is in the error colour"
    assert hub.service.list(CaseFilter()).items == []
