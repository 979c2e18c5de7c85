"""Customer text in Jira markup and JQL, and how alike two requests read."""

from __future__ import annotations

import pytest

from casehub.plugins.jira.markup import jql_string, wiki
from casehub.plugins.jira.similarity import Index, terms


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("{code}rm -rf{code}", "\\{code\\}rm \\-rf\\{code\\}"),
        ("[click|https://evil.example]", "\\[click\\|https://evil.example\\]"),
        ("[~admin] please", "\\[\\~admin\\] please"),
        ("*bold* _it_ +u+ ^s^ ??c?? !img.png! # list", "\\*bold\\* \\_it\\_ \\+u\\+ \\^s\\^ \\?\\?c\\?\\? \\!img.png\\! \\# list"),
        ("a \\ b", "a \\\\ b"),
        ("", ""),
    ],
)
def test_wiki_markup_from_customers_shows_as_typed(typed: str, shown: str) -> None:
    assert wiki(typed) == shown


def test_jql_strings_cannot_end_early() -> None:
    assert jql_string('x" OR project = SECRET OR summary ~ "') == '"x\\" OR project = SECRET OR summary ~ \\""'
    assert jql_string("back\\slash") == '"back\\\\slash"'


def test_the_same_request_in_other_words_is_closer_than_another_request() -> None:
    index = Index([("EXPORT", "Export reports to Excel\nWe need an Excel export of our monthly reports."),
                   ("DARK", "Dark mode\nThe app should have a dark theme for night shifts.")])  # fmt: skip

    same, score = index.best("Can we export the monthly reports to Excel? Thanks!")  # type: ignore[misc]
    assert same == "EXPORT" and score > 0.5
    other = index.best("Please add a dark theme")
    assert other is not None and other[0] == "DARK"
    unrelated = index.best("Invoices are wrong since the update")
    assert unrelated is None or unrelated[1] < 0.2


def test_common_words_and_greetings_do_not_count() -> None:
    assert set(terms("Hello team, please would you thanks")) == set()
    assert "export" in terms("Please EXPORT it") and "export reports" in terms("export reports")
