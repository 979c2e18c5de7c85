"""Files posted with a form: how many, how large, and only the types the form takes, checked by content.

The type a browser declares is what the file's name suggests; a ``.png``
that is really an HTML page is refused because its first bytes are not a PNG's.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from casehub.attachments import AttachmentDraft

__all__ = ["UploadSettings", "check_file"]

# The first bytes of each type a form may take; text/plain has none to check, only valid UTF-8.
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
TEXT = "text/plain"


class UploadSettings(BaseModel):
    """``[webforms.forms.<name>.attachments]``: files people may add to their request."""

    model_config = ConfigDict(extra="forbid")

    max_files: int = Field(3, ge=1, le=20, description="Files per post.")
    max_bytes: int = Field(
        5_000_000, ge=1, description="Largest file, in bytes; [server] max_body_bytes must allow the whole post."
    )
    types: list[str] = Field(
        default_factory=lambda: ["image/png", "image/jpeg", "application/pdf", "text/plain"],
        description=f"Types taken, from: {', '.join([*SIGNATURES, TEXT])}.",
    )


def safe_name(name: str) -> str:
    """The file's own name, without a path or control characters (it is shown and used for downloads)."""
    base = re.split(r"[\\\\/]", name or "")[-1]
    cleaned = "".join(c for c in base if c.isprintable()).strip(" .")
    return cleaned[:255] or "attachment"


def check_file(settings: UploadSettings, filename: str, declared: str, data: bytes) -> AttachmentDraft | str:
    """The file ready to store, or what is wrong with it."""
    if not data:
        return "is empty"
    if len(data) > settings.max_bytes:
        return f"is too large ({len(data):,} bytes; at most {settings.max_bytes:,})"
    kind = (declared or "").split(";")[0].strip().lower()
    if kind not in settings.types:
        return f"is a {kind or 'file of unknown type'}; this form takes {', '.join(settings.types)}"
    if kind == TEXT:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return "is not UTF-8 text"
    elif not data.startswith(SIGNATURES.get(kind, (b"",))):
        return f"does not look like a {kind} file"
    return AttachmentDraft(safe_name(filename), kind, data)
