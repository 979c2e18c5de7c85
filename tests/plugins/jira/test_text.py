"""Customer text in Jira markup and JQL, and how alike two requests read."""

from __future__ import annotations

import pytest

from casehub.plugins.jira.markup import jql_string, wiki
from casehub.plugins.jira.similarity import Index, stem, terms


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
    assert "export" in terms("Please EXPORT it") and "export report" in terms("export reports")
    assert "#expo" in terms("export")  # pieces of words, for typos


@pytest.mark.parametrize(
    "words",
    [
        "export exports exported exporting",
        "invoice invoices",
        "merge merged merging",
        "apply applies applied",
        "Rechnung Rechnungen",
        "Kunde Kunden",
    ],
)
def test_inflections_share_a_stem(words: str) -> None:
    assert len({stem(w.lower()) for w in words.split()}) == 1


def test_short_words_and_double_s_keep_their_letters() -> None:
    assert [stem(w) for w in ("sso", "api", "access", "status", "bus")] == ["sso", "api", "access", "status", "bus"]


def _feedback_index() -> Index:
    """Open issues as customers word them: requests that share their phrasing but not what is asked."""
    return Index([
        ("INV-EXPORT", "Invoices: export option missing\nInvoices: export option missing\nWe need to export invoices to our accounting tool."),
        ("INV-PRINT", "Invoices: print option missing\nInvoices: print option missing\nWe need to print invoices for the auditors."),
        ("REP-EXPORT", "Reports: export option missing\nReports: export option missing\nWe need to export reports every month."),
        ("DARK", "Dark mode\nDark mode\nThe app should have a dark theme for night shifts."),
    ])  # fmt: skip


def test_a_typo_or_another_inflection_still_finds_the_request() -> None:
    index = _feedback_index()
    for asked in ("Exporting invoices\nExporting invoices\nCan we get our invoice exported?",
                  "Export invoices\nExport invoices\nPlease let us exprot invoicse."):  # fmt: skip
        match = index.best(asked)
        assert match is not None and match[0] == "INV-EXPORT" and match[1] >= 0.5, (asked, match)


def test_another_ask_in_the_same_template_words_is_not_matched() -> None:
    index = _feedback_index()
    for asked, other in [
        ("Invoices: archive option missing\nInvoices: archive option missing\nWe need to archive invoices.", "invoices"),
        ("Contacts: export option missing\nContacts: export option missing\nWe need to export contacts.", "export"),
    ]:
        match = index.best(asked)
        assert match is None or match[1] < 0.5, (other, match)


def test_feedback_in_the_background_counts_for_rarity_once() -> None:
    batch = ["Dark mode please", "Export invoices"]
    with_batch = Index([("DARK", "Dark mode for night shifts")], background=batch)
    with_batch.add("new:1", batch[0])  # already counted: its words are not more common for it
    alone = Index([("DARK", "Dark mode for night shifts"), ("new:1", batch[0]), ("x", batch[1])])
    for asked in ("night shifts", "dark mode"):
        (key, score), (same_key, same_score) = with_batch.best(asked), alone.best(asked)  # type: ignore[misc]
        assert key == same_key and score == pytest.approx(same_score)
