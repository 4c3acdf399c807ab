"""E-mail addresses and phone numbers as residents type them, reduced to one comparable form."""

from __future__ import annotations

import re

from transitreq.errors import ValidationFailed

# No commas, semicolons, brackets or quotes: a mail server would read those as several
# recipients or a display name, and a contact must be one person.
_EMAIL = re.compile(r'^[^@\s,;<>()"]+@[^@\s,;<>()"]+\.[^@\s,;<>()"]+$')
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?\d{6,15}$")
MAX_CONTACT_CHARS = 254


def normalise_contact(raw: str, field: str = "contact") -> str:
    """Lower-case e-mail, or a phone number as digits with an optional leading +.

    Two ways of typing the same contact ("Anna@Example.org " and "anna@example.org", or
    "040 123 4567" and "040-1234567") give the same result, which is what stops double support.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed({field: "Give an e-mail address or a phone number."})
    if len(text) > MAX_CONTACT_CHARS:
        raise ValidationFailed({field: f"Keep the contact under {MAX_CONTACT_CHARS} characters."})
    if "@" in text:
        if not _EMAIL.match(text):
            raise ValidationFailed({field: f"“{text}” is not an e-mail address."})
        return text.lower()
    phone = _PHONE_SEPARATORS.sub("", text)
    if not _PHONE.match(phone):
        raise ValidationFailed(
            {field: "Give an e-mail address, or a phone number of 6 to 15 digits."}
        )
    return phone
