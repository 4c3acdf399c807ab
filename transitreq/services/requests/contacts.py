"""E-mail addresses and phone numbers as residents type them, reduced to one comparable form.

Phone numbers are read with Google's libphonenumber rules (the ``phonenumbers`` package):
``040 123 4567`` in Finland and ``+358 40 123 4567`` are one person, ``+358401234567``. A
number without its country code can only be read knowing the country, ``PHONE_DEFAULT_REGION``
(e.g. ``FI``, ``CN``); without it such numbers are kept as their digits, and only numbers typed
with ``+`` and the country code are recognised in every form.
"""

from __future__ import annotations

import re

import phonenumbers

from transitreq.errors import ValidationFailed
from transitreq.i18n import _

# No commas, semicolons, brackets or quotes: a mail server would read those as several
# recipients or a display name, and a contact must be one person.
_EMAIL = re.compile(r'^[^@\s,;<>()"]+@[^@\s,;<>()"]+\.[^@\s,;<>()"]+$')
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?\d{6,15}$")
MAX_CONTACT_CHARS = 254


def normalise_contact(raw: str, field: str = "contact", region: str = "") -> str:
    """Lower-case e-mail, or a phone number in E.164 (``+358401234567``).

    Two ways of typing the same contact ("Anna@Example.org " and "anna@example.org", or
    "040 123 4567", "040-1234567" and "+358 40 123 4567" in Finland) give the same result,
    which is what stops double support.
    """
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed({field: _("Give an e-mail address or a phone number.")})
    if len(text) > MAX_CONTACT_CHARS:
        raise ValidationFailed(
            {
                field: _(
                    "Keep the contact under %(max_chars)d characters.", max_chars=MAX_CONTACT_CHARS
                )
            }
        )
    if "@" in text:
        if not _EMAIL.match(text):
            raise ValidationFailed(
                {field: _("“%(contact)s” is not an e-mail address.", contact=text)}
            )
        return text.lower()
    phone = _PHONE_SEPARATORS.sub("", text)
    if not _PHONE.match(phone):
        raise ValidationFailed(
            {field: _("Give an e-mail address, or a phone number of 6 to 15 digits.")}
        )
    if not phone.startswith("+") and not region:
        return phone
    try:
        number = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationFailed(
            {field: _("“%(contact)s” is not a phone number we can reach.", contact=text)}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_known(stored: str, region: str = "") -> str:
    """A stored contact as it would be normalised now (a number stored before the region was
    set gains its country code); kept as it is when it cannot be read."""
    try:
        return normalise_contact(stored, region=region)
    except ValidationFailed:
        return stored


def same_contact(stored: str | None, normalised: str, region: str = "") -> bool:
    """Whether a stored contact is the person ``normalised`` names; a number stored before the
    region was set is read again as it would be now."""
    if not stored:
        return False
    if stored == normalised:
        return True
    try:
        return normalise_contact(stored, region=region) == normalised
    except ValidationFailed:
        return False
