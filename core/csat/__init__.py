"""CSAT surveys: after resolution a rule sends the customer a signed, single-use link to a one-question page.

:mod:`casehub.csat.tokens` signs and reads the links, :mod:`casehub.csat.answers`
records an answer (once per link, under the case's row lock), and
:mod:`casehub.csat.pages` renders what the customer sees. The rule action is
``send_csat_survey`` (:mod:`casehub.rules.actions`), the routes are
:mod:`casehub.api.csat`.
"""
