"""The admin shows personal data through talent.masking, the one rule shared with the API."""

from talent.masking import mask, may_see_personal_data, shown

__all__ = ["mask", "may_see_personal_data", "shown"]
