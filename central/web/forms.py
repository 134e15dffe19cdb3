"""Form input to the API's own request models, and their refusals to messages beside fields.

A page validates a form with the same pydantic model the JSON API uses (one set of input
rules), then calls the same domain function.  Errors come back as ``{field: message}`` in the
viewer's language: the page shows them in an error summary and beside each field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from central.planning.changes import ChangeError
from central.rules import (
    AgreementError,
    NoticeError,
    PeriodError,
    RuleError,
    ScheduleConflictError,
    ScheduleError,
)
from central.web.i18n import N_, Words

_BY_TYPE = {
    "missing": N_("This field is required."),
    "date_from_datetime_parsing": N_("Write the date as YYYY-MM-DD, e.g. 2026-12-07."),
    "date_parsing": N_("Write the date as YYYY-MM-DD, e.g. 2026-12-07."),
    "date_type": N_("Write the date as YYYY-MM-DD, e.g. 2026-12-07."),
    "time_parsing": N_("Write the time as HH:MM, e.g. 07:30."),
    "time_type": N_("Write the time as HH:MM, e.g. 07:30."),
    "string_too_long": N_("The text is too long."),
    "string_too_short": N_("This field is required."),
    "string_pattern_mismatch": N_("Check what you wrote."),
    "too_short": N_("Choose at least one."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
}
_BY_FIELD = {
    "phone": N_("Write a phone number with digits only, e.g. 070-123 45 67."),
    "email": N_("Write an e-mail address like name@example.se."),
    "time": N_("Write the time as HH:MM, e.g. 15:00."),
}


def validate(
    model: type[BaseModel], data: dict[str, Any], words: Words, *, field_of: Any = None
) -> tuple[Any, dict[str, str]]:
    """``(model instance, {})`` or ``(None, {field: message})``; ``field_of(loc)`` names the form
    field for a pydantic error location (default: its first part)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            loc = tuple(e["loc"])
            name = field_of(loc) if field_of else str(loc[0]) if loc else "form"
            if name in errors:
                continue
            text = _BY_FIELD.get(name) if e["type"] != "missing" else None
            errors[name] = words(text or _BY_TYPE.get(e["type"], N_("Check what you wrote.")))
        return None, errors


def domain_error(exc: Exception, words: Words, *, notice_days: int = 0) -> dict[str, str]:
    """A domain refusal (:class:`RuleError`, :class:`ChangeError`) as a message beside its field."""
    text = str(exc)
    if isinstance(exc, ScheduleConflictError):
        return {
            "valid_from": words(
                "There is already a schedule from that date. Choose another date or change that schedule."
            )
        }
    if isinstance(exc, NoticeError):
        return {
            "valid_from": words(
                "A new schedule needs %(days)s days' notice. Choose a later date.", days=notice_days
            )
        }
    if isinstance(exc, ScheduleError):
        if "after" in text:
            return {"weeks": words("The pick-up time must be after the drop-off time.")}
        return {"weeks": words("Check the times of the schedule.")}
    if isinstance(exc, PeriodError):
        if "before today" in text:
            return {"last": words("The period has already ended. Choose dates from today on.")}
        if "one year" in text:
            return {"last": words("A period can be at most one year.")}
        if "weekday" in text:
            return {"weekdays": words("Choose at least one weekday.")}
        return {"last": words("The last day must be on or after the first day.")}
    if isinstance(exc, AgreementError):
        if "time" in text:
            return {"time": words("Write the time as HH:MM, e.g. 15:00.")}
        if "name" in text:
            return {"person_name": words("Write the name of the person picking up.")}
        return {"text": words("Write the message.")}
    if isinstance(exc, ChangeError):
        if exc.status == 403 and "absence" in text:
            return {"form": words("Absence reporting is switched off for this unit.")}
        if exc.status == 403:
            return {"form": words("You cannot change this.")}
        if "absence" in text:
            return {"day": words("Absence can be reported from 7 days back to 60 days ahead.")}
        return {"form": words("It could not be saved. Check what you wrote.")}
    if isinstance(exc, RuleError):
        return {"form": words("It could not be saved. Check what you wrote.")}
    raise exc
