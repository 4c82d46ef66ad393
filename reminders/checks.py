"""Configuration mistakes found at start-up rather than at the first failed delivery."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from reminders.channels import check_webhook_url


@register(Tags.compatibility)
def webhook_url_check(app_configs=None, **kwargs) -> list[Error]:
    url = settings.WECOM_WEBHOOK_URL
    problem = check_webhook_url(url) if url else None
    if problem:
        return [Error(f"WECOM_WEBHOOK_URL: {problem}", id="reminders.E001")]
    return []
