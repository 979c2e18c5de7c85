"""The rule engine: triggers, automations, assignment, SLA policies and business-hours calendars."""
