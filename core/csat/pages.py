"""What the customer sees: the survey, the thank-you, and why a link does not work.

Rendered by Jinja2 with autoescaping, so a case subject or a comment holding
``<script>`` is shown as text. The score is five labelled radio buttons in a
fieldset (a screen reader announces the question with each choice), usable
without JavaScript and on a phone.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

__all__ = ["CHOICES", "MAX_COMMENT", "message_page", "survey_page"]

MAX_COMMENT = 2_000
CHOICES = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"}

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  .case { color: #4a4a4a; }
  .errors { border-left: 4px solid #b00020; padding: .5rem 1rem; background: #fdecee; }
  form { display: grid; gap: 1.25rem; }
  fieldset { border: 0; padding: 0; margin: 0; }
  legend { font-weight: 600; margin-bottom: .5rem; }
  .scale { display: grid; grid-template-columns: repeat(auto-fit, minmax(6.5rem, 1fr)); gap: .5rem; }
  .scale label { display: block; border: 1px solid #767676; border-radius: 4px; padding: .6rem .5rem; text-align: center; cursor: pointer; }
  .scale input { margin: 0 .35rem 0 0; }
  .scale label:has(input:checked) { border-color: #1f4e99; background: #e8eef9; }
  .scale label:focus-within { outline: 3px solid #1f4e99; outline-offset: 2px; }
  label[for] { display: block; font-weight: 600; margin-bottom: .25rem; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; border: 1px solid #767676; border-radius: 4px; min-height: 7rem; }
  [aria-invalid="true"] { border-color: #b00020; }
  .field-error { color: #b00020; margin: .25rem 0 0; }
  .hint { color: #4a4a4a; font-size: .9rem; margin: .25rem 0 0; }
  button { font: inherit; padding: .6rem 1.2rem; border: 0; border-radius: 4px; background: #1f4e99; color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
{% if case %}<p class="case">Your request {{ case.number }}: {{ case.subject }}</p>{% endif %}
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_SURVEY = _env.from_string(
    _LAYOUT.replace(
        "{% block content %}{% endblock %}",
        """{% if errors %}
<div class="errors" role="alert">
<p>Please check the {{ errors|length }} marked field{{ "s" if errors|length > 1 }}.</p>
</div>
{% endif %}
<form action="{{ action }}" method="post" novalidate>
<fieldset{% if errors.score %} aria-describedby="e-score"{% endif %}>
  <legend>{{ question }}</legend>
  <div class="scale">
  {% for value, label in choices.items() %}
    <label><input type="radio" name="score" value="{{ value }}" required{% if errors.score %} aria-invalid="true"{% endif %}{% if value == score %} checked{% endif %}>{{ value }} – {{ label }}</label>
  {% endfor %}
  </div>
  {% if errors.score %}<p class="field-error" id="e-score">{{ errors.score }}</p>{% endif %}
</fieldset>
<div>
  <label for="f-comment">Anything you would like to tell us? (optional)</label>
  <textarea id="f-comment" name="comment" maxlength="{{ max_comment }}" aria-describedby="h-comment{% if errors.comment %} e-comment{% endif %}"{% if errors.comment %} aria-invalid="true"{% endif %}>{{ comment }}</textarea>
  <p class="hint" id="h-comment">Up to {{ "{:,}".format(max_comment) }} characters.</p>
  {% if errors.comment %}<p class="field-error" id="e-comment">{{ errors.comment }}</p>{% endif %}
</div>
<div><button type="submit">Send</button></div>
</form>""",
    )
)

_MESSAGE = _env.from_string(
    _LAYOUT.replace("{% block content %}{% endblock %}", '<p role="status">{{ message }}</p>')
)


def survey_page(
    case: Any, question: str, action: str, *, score: int | None = None, comment: str = "", errors: dict[str, str] | None = None
) -> str:
    """The survey for ``case``; ``score`` preselects a choice (a one-click link from an email)."""
    return _SURVEY.render(
        title="How did we do?", case=case, question=question, action=action, choices=CHOICES, score=score,
        comment=comment, errors=errors or {}, max_comment=MAX_COMMENT,
    )  # fmt: skip


def message_page(title: str, message: str, case: Any = None) -> str:
    return _MESSAGE.render(title=title, message=message, case=case)
