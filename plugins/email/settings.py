"""``[email]``: the support address, the mailbox mail arrives in, and the SMTP server replies leave through."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["EmailSettings"]


class EmailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="The support address customers write to.")
    display_name: str = Field("Support", max_length=100, description="The name replies are sent from.")
    maildir: str = Field(description="The Maildir incoming mail is delivered to (by the mail server, fetchmail, …).")
    poll_interval_seconds: int = Field(30, ge=1, le=3600, description="How often the mailbox is read.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server for replies.")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = Field(None, description="Set CASEHUB_EMAIL__SMTP_PASSWORD.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS (port 587).")
    timeout_seconds: float = Field(30.0, gt=0, le=300)

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]
