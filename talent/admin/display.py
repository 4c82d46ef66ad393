"""How the talent admins write a person's consent and a duplicate pair's reasons, in lists and on pages."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from talent.masking import reasons_text
from talent.models import Consent, Purpose

# Short names of the consent purposes, for a list column (the Purpose labels are whole sentences).
PURPOSE_SHORT = {
    Purpose.FOLLOW_UP: _("follow-up"),
    Purpose.MAILINGS: _("mailings"),
    Purpose.SHARING: _("sharing"),
    Purpose.MAINLAND: _("mainland"),
}


def consent_summary_text(contact) -> str:
    """What the person currently consents to, from the flags the consent services keep on the contact."""
    if contact.consent_recorded_at is None:
        return gettext("no consent recorded")
    given = [str(label) for purpose, label in PURPOSE_SHORT.items() if getattr(contact, f"consent_{purpose}")]
    return " · ".join(given) if given else gettext("none (withdrawn)")


def purposes_text(consent: Consent) -> str:
    given = [str(PURPOSE_SHORT[purpose]) for purpose, value in consent.purposes().items() if value]
    return ", ".join(given) if given else "—"


def reasons_shown(user, reasons: list) -> str:
    """A pair's reasons in the reader's language, the phones and e-mails they quote masked for users who may not
    see them."""
    return "; ".join(reasons_text(user, reasons))
