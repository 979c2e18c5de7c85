"""The pages browsers get back: a thank-you page and an error page, escaped through and through.

Everything a person typed is shown through Jinja2 with autoescaping, so a
``<script>`` in a subject is text on the page, never markup.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

__all__ = ["error_page", "form_page", "thanks_page"]

LABELS = {"name": "Your name", "email": "Email", "phone": "Phone", "company": "Company", "subject": "Subject",
          "description": "How can we help?", "type": "Type", "priority": "Priority"}  # fmt: skip
INPUT_TYPES = {"email": "email", "phone": "tel"}
WIDGETS = {
    "hcaptcha": ("https://js.hcaptcha.com/1/api.js", "h-captcha"),
    "recaptcha": ("https://www.google.com/recaptcha/api.js", "g-recaptcha"),
    "turnstile": ("https://challenges.cloudflare.com/turnstile/v0/api.js", "cf-turnstile"),
}

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  .errors { border-left: 4px solid #b00020; padding: .5rem 1rem; background: #fdecee; }
  .errors li { margin: .25rem 0; }
  form { display: grid; gap: 1rem; }
  label { display: block; font-weight: 600; margin-bottom: .25rem; }
  input, select, textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; border: 1px solid #767676; border-radius: 4px; }
  textarea { min-height: 8rem; }
  [aria-invalid="true"] { border-color: #b00020; }
  .field-error { color: #b00020; margin: .25rem 0 0; }
  .required { color: #b00020; }
  .trap { position: absolute; left: -5000px; }
  button { font: inherit; padding: .6rem 1.2rem; border: 0; border-radius: 4px; background: #1f4e99; color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_THANKS = _env.from_string(
    _LAYOUT.replace("{% block content %}{% endblock %}", '<p role="status">{{ message }}</p>')
)
_ERRORS = _env.from_string(
    _LAYOUT.replace(
        "{% block content %}{% endblock %}",
        """<div class="errors" role="alert">
<p>Please check your entries:</p>
<ul>
{% for field, message in errors.items() %}
<li><strong>{{ field }}</strong> {{ message }}</li>
{% endfor %}
</ul>
</div>
<p><a href="javascript:history.back()">Back to the form</a></p>""",
    )
)


_FORM = _env.from_string(
    _LAYOUT.replace(
        "{% block content %}{% endblock %}",
        """{% if errors %}
<div class="errors" role="alert" id="form-errors">
<p>Please check the {{ errors|length }} marked field{{ "s" if errors|length > 1 }}.</p>
{% if errors.get("_form") %}<p>{{ errors["_form"] }}</p>{% endif %}
</div>
{% endif %}
<form action="{{ action }}" method="post"{% if uploads %} enctype="multipart/form-data"{% endif %} novalidate>
{% for field in fields %}
<div>
  <label for="f-{{ field.name }}">{{ field.label }}{% if field.required %} <span class="required" aria-hidden="true">*</span>{% endif %}</label>
  {% set described = "e-" ~ field.name if field.error else None %}
  {% if field.choices %}
  <select id="f-{{ field.name }}" name="{{ field.name }}"{% if field.required %} required aria-required="true"{% endif %}{% if field.error %} aria-invalid="true" aria-describedby="{{ described }}"{% endif %}>
    <option value="">Choose…</option>
    {% for choice in field.choices %}<option{% if choice == field.value %} selected{% endif %}>{{ choice }}</option>{% endfor %}
  </select>
  {% elif field.name == "description" %}
  <textarea id="f-{{ field.name }}" name="{{ field.name }}"{% if field.required %} required aria-required="true"{% endif %}{% if field.error %} aria-invalid="true" aria-describedby="{{ described }}"{% endif %}>{{ field.value }}</textarea>
  {% else %}
  <input id="f-{{ field.name }}" name="{{ field.name }}" type="{{ field.type }}" value="{{ field.value }}"{% if field.required %} required aria-required="true"{% endif %}{% if field.error %} aria-invalid="true" aria-describedby="{{ described }}"{% endif %}>
  {% endif %}
  {% if field.error %}<p class="field-error" id="{{ described }}">{{ field.label }} {{ field.error }}</p>{% endif %}
</div>
{% endfor %}
{% if uploads %}
<div>
  <label for="f-attachment">Files (up to {{ uploads.max_files }}, {{ (uploads.max_bytes / 1000000)|round(1) }} MB each)</label>
  <input id="f-attachment" name="attachment" type="file" multiple accept="{{ uploads.types|join(',') }}"{% if errors.get("attachment") %} aria-invalid="true" aria-describedby="e-attachment"{% endif %}>
  {% if errors.get("attachment") %}<p class="field-error" id="e-attachment">{{ errors["attachment"] }}</p>{% endif %}
</div>
{% endif %}
{% if stamp %}<input type="hidden" name="_started" value="{{ stamp }}">{% endif %}
{% if honeypot %}<div class="trap" aria-hidden="true"><label for="f-trap">Leave this empty</label><input id="f-trap" name="{{ honeypot }}" tabindex="-1" autocomplete="off"></div>{% endif %}
{% if widget %}<div class="{{ widget.css }}" data-sitekey="{{ widget.site_key }}"></div><script src="{{ widget.script }}" async defer></script>{% endif %}
<div><button type="submit">Send</button></div>
</form>""",
    )
)


def form_page(
    form: Any, action: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, stamp: str = ""
) -> str:
    """The form as configured, with what the person typed and the errors next to their fields."""
    values, errors = values or {}, errors or {}
    fields = [
        {
            "name": name,
            "label": form.labels.get(name) or LABELS.get(name) or name.replace("_", " ").capitalize(),
            "type": INPUT_TYPES.get(name, "text"),
            "required": name in form.required,
            "choices": form.choices.get(name),
            "value": values.get(name, ""),
            "error": errors.get(name),
        }
        for name in dict.fromkeys([*form.show, *form.choices])
    ]
    widget = None
    if form.captcha is not None and form.captcha.site_key:
        script, css = WIDGETS[form.captcha.provider]
        widget = {"script": script, "css": css, "site_key": form.captcha.site_key}
    return _FORM.render(
        title=form.title, action=action, fields=fields, errors=errors, honeypot=form.honeypot, widget=widget,
        uploads=form.attachments, stamp=stamp,
    )


def thanks_page(title: str, message: str) -> str:
    return _THANKS.render(title=title, message=message)


def error_page(title: str, errors: dict[str, str]) -> str:
    return _ERRORS.render(title=title, errors=errors)
