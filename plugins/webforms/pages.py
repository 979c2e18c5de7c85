"""The pages browsers get back: a thank-you page and an error page, escaped through and through.

Everything a person typed is shown through Jinja2 with autoescaping, so a
``<script>`` in a subject is text on the page, never markup.
"""

from __future__ import annotations

from jinja2 import Environment

__all__ = ["error_page", "thanks_page"]

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


def thanks_page(title: str, message: str) -> str:
    return _THANKS.render(title=title, message=message)


def error_page(title: str, errors: dict[str, str]) -> str:
    return _ERRORS.render(title=title, errors=errors)
