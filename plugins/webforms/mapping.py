"""From a form post to a case draft, with an error per form field in the words of that form.

Errors are keyed by the *form's* field names (``email``, ``00N5g00000AbCdE``),
because that is what the page shows next to each input, and what a developer
debugging their website's form looks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from casehub.model import CaseDraft
from casehub.plugins.webforms.settings import WEB_TO_CASE_VALUES, FormSettings

__all__ = ["CONTROL", "Submission", "to_draft"]

# Web-to-Case fields that steer the post rather than describe the case.
CONTROL = {
    "orgid", "retURL", "debug", "debugEmail", "encoding", "submit", "recordType", "external",
    "h-captcha-response", "g-recaptcha-response", "cf-turnstile-response", "_started",
}  # fmt: skip


@dataclass
class Submission:
    """A post's fields, as the form named them (the last value wins for repeated names)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    draft: CaseDraft | None = None

    def control(self, name: str) -> str | None:
        return self.values.get(name)


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    if path.startswith("custom."):
        target.setdefault("custom_fields", {})[path[7:]] = value
    elif "." in path:
        head, tail = path.split(".", 1)
        target.setdefault(head, {})[tail] = value
    else:
        target[path] = value


def to_draft(form: FormSettings, pairs: list[tuple[str, str]]) -> Submission:
    """Check the post against the form and build the draft; ``errors`` says what is wrong, field by field."""
    submission = Submission(dict(pairs))
    errors = submission.errors
    if len(pairs) > form.max_fields:
        errors["_form"] = f"too many fields ({len(pairs)}; this form takes at most {form.max_fields})"
        return submission
    mapping = form.mapping()
    for name, value in submission.values.items():
        if "\x00" in value:
            errors[name] = "contains a NUL character"
        elif len(value) > form.max_length:
            errors[name] = f"is too long ({len(value)} characters; at most {form.max_length})"
    for name in form.required:
        if not submission.values.get(name, "").strip():
            errors.setdefault(name, "is required")
    for name, allowed in form.choices.items():
        value = submission.values.get(name, "")
        if value and value not in allowed:
            errors.setdefault(name, f"must be one of: {', '.join(allowed)}")
    # Go on with the fields that passed, so every problem is reported at once.

    data: dict[str, Any] = {"channel": "web"}
    for path, value in form.defaults.items():
        _set(data, path, value)
    origin: dict[str, str] = {}  # case field -> the form field it came from, to name errors
    for name, value in submission.values.items():
        path = mapping.get(name)
        if path is None or name in CONTROL or name in errors or not value.strip():
            continue
        value = value.strip()
        known = WEB_TO_CASE_VALUES.get(path)
        if known is not None:
            if value.lower() not in known:
                errors[name] = f"must be one of: {', '.join(sorted(known))}"
                continue
            value = known[value.lower()]
        if path == "tags":
            _set(data, path, [t.strip() for t in value.split(",") if t.strip()])
        else:
            _set(data, path, value)
        origin[path] = name
    for name in errors:  # a required field that is missing must not also be reported by the model
        if mapping.get(name):
            origin.setdefault(mapping[name], name)
    try:
        draft = CaseDraft.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            path = ".".join(loc[:2]) if loc[0] in ("contact", "account") else loc[0]
            if path == "custom_fields" and len(loc) > 1:
                path = f"custom.{loc[1]}"
            name = origin.get(path, path)
            errors.setdefault(name, error["msg"].removeprefix("Value error, "))
    else:
        if not errors:
            submission.draft = draft
    return submission
