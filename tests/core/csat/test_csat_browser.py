"""The survey page in a real headless Chromium: a customer answers with a tap, or with the keyboard alone.

Skipped with its reason when Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

if TYPE_CHECKING:
    from conftest import Desk

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
QUESTION = "How satisfied are you with how we handled your request?"


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def test_a_customer_answers_on_a_phone(browser: Any, desk: Desk) -> None:
    case = desk.resolved_case()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(str(desk.client.base_url) + desk.survey_path(case))
    assert page.get_by_role("heading", name="How did we do?").is_visible()
    scale = page.get_by_role("group", name=QUESTION)  # the fieldset, named by its legend
    assert scale.get_by_role("radio").count() == 5
    assert Image.open(io.BytesIO(page.screenshot(full_page=True))).size[0] == 390  # no sideways scrolling
    page.get_by_label("4 – Satisfied").check()
    page.get_by_label("Anything you would like to tell us? (optional)").fill("Fixed in a day <3")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    assert "Thank you for your answer (4 – Satisfied)" in page.get_by_role("status").inner_text()
    assert desk.hub.service.get(case.id).csat["comment"] == "Fixed in a day <3"  # type: ignore[index]


def test_with_the_keyboard_alone_and_a_mistake_on_the_way(browser: Any, desk: Desk) -> None:
    case = desk.resolved_case()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(str(desk.client.base_url) + desk.survey_path(case))
    comment = page.get_by_label("Anything you would like to tell us? (optional)")
    comment.fill("Slow answers.")
    page.get_by_role("button", name="Send").click()  # no score chosen
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#e-score").inner_text() == "Choose a score from 1 to 5."
    assert comment.input_value() == "Slow answers."
    page.keyboard.press("Tab")  # the first radio of the group
    assert page.evaluate("document.activeElement.name") == "score"
    page.keyboard.press("ArrowRight")  # moves to 2 and chooses it, like any radio group
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("3 – Neutral").is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-comment"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Thank you for your answer (3 – Neutral)" in page.get_by_role("status").inner_text()
    assert desk.hub.service.get(case.id).csat["score"] == 3  # type: ignore[index]
