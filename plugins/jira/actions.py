"""The ``create_jira_issue`` rule action: the case's feedback to Jira, joined to an open issue when it is the same."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from casehub.model import Case
from casehub.outbox import Delivery

__all__ = ["CreateJiraIssue", "plan"]


class CreateJiraIssue(BaseModel):
    """``- create_jira_issue: {project: FEED, issue_type: Story}`` (every param optional)."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]{1,9}$", description="Default: [jira] project.")
    issue_type: str | None = Field(None, description="Default: [jira] issue_type.")
    summary_template: str | None = Field(None, description="Overrides [jira] summary_template.")
    description_template: str | None = Field(None, description="Overrides [jira] description_template.")


def plan(case: Case, params: CreateJiraIssue) -> list[Delivery]:
    # Keyed by project: the feedback waiting for one project is matched and created together.
    return [Delivery("jira", "feedback", key=params.project or "", payload={"params": params.model_dump()})]
