"""GET /forms/{name}: an accessible form generated from the config; errors inline, keeping what was typed."""

from __future__ import annotations

import re
from urllib.parse import urlencode

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAGE = {
    "title": "Talk to us",
    "show": ["name", "email", "subject", "description", "product"],
    "fields": {"product": "custom.product"},
    "choices": {"product": ["Lamp", "Chair"]},
    "labels": {"product": "Which product?"},
}


def test_the_page_has_a_labelled_input_for_every_field(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(contact=PAGE)
    page = client.get("/forms/contact")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<h1>Talk to us</h1>' in html and 'action="/forms/contact" method="post"' in html
    for name in ("name", "email", "subject", "description", "product"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}" name="{name}"' in html
    assert 'type="email"' in html and "<textarea" in html and "<option>Lamp</option>" in html
    assert "Which product?" in html
    assert len(re.findall(r'aria-required="true"', html)) == 2  # email and subject, the defaults
    assert 'name="website_url" tabindex="-1"' in html  # the honeypot, hidden from people
    assert '<meta name="viewport"' in html and 'lang="en"' in html


def test_errors_are_shown_next_to_their_fields_and_keep_what_was_typed(forms) -> None:  # type: ignore[no-untyped-def]
    hub, client = forms(contact=PAGE)
    typed = {"name": "Ada <b>L</b>", "email": "not-an-email", "subject": "", "description": "It <script>x()</script> broke", "product": "Lamp"}
    page = client.post("/forms/contact", content=urlencode(typed), headers=FORM)
    assert page.status_code == 422
    html = page.text
    assert 'role="alert"' in html and "Please check the 2 marked fields" in html  # all problems at once
    assert 'id="e-email">Email not a valid email address' in html
    assert 'id="f-subject" name="subject" type="text" value="" required aria-required="true" aria-invalid="true" aria-describedby="e-subject"' in html
    assert 'id="e-subject">Subject is required<' in html
    assert 'value="Ada &lt;b&gt;L&lt;/b&gt;"' in html and "It &lt;script&gt;x()&lt;/script&gt; broke</textarea>" in html
    assert "<option selected>Lamp</option>" in html
    assert "<script>" not in html


def test_unknown_form_page(forms) -> None:  # type: ignore[no-untyped-def]
    _, client = forms(contact=PAGE)
    assert client.get("/forms/nope").status_code == 404


def test_a_post_faster_than_a_person_is_answered_but_not_stored(forms) -> None:  # type: ignore[no-untyped-def]
    import re
    import time

    hub, client = forms(contact={**PAGE, "min_fill_seconds": 1})
    stamp = re.search(r'name="_started" value="([^"]+)"', client.get("/forms/contact").text).group(1)
    post = {"email": "ada@example.com", "subject": "Lamp", "_started": stamp}
    fast = client.post("/forms/contact", content=urlencode(post), headers=FORM)
    assert fast.status_code == 200 and "Thank you" in fast.text and "C-0000" not in fast.text
    time.sleep(1.1)
    human = client.post("/forms/contact", content=urlencode(post), headers=FORM)
    assert human.status_code == 200 and "C-000001" in human.text
    forged = client.post("/forms/contact", content=urlencode({**post, "_started": "1.0.deadbeef"}), headers=FORM)
    assert forged.status_code == 422 and "reload" in forged.text
    older = stamp.split(".")
    tampered = client.post("/forms/contact", content=urlencode({**post, "_started": f"{float(older[0]) - 60:.3f}.{older[-1]}"}), headers=FORM)
    assert tampered.status_code == 422, "the stamp cannot be made to look older"
    plain = client.post("/forms/contact", content=urlencode({"email": "bob@example.com", "subject": "Hi"}), headers=FORM)
    assert plain.status_code == 200 and "C-000002" in plain.text, "a Web-to-Case form without the stamp is not checked"
