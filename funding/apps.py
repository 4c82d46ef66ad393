from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = _("Funding")

    def ready(self) -> None:
        from core.imports import registry
        from funding.imports import ExchangeRateImporter
        from projects import lead_pages

        lead_pages.register(_("Funding"), _lead_funding_url, "funding.view_fundingapplication")
        registry.register(ExchangeRateImporter)  # registering the same class again is harmless


def _lead_funding_url(lead) -> str:
    """The lead's funding page (funding.admin.pages), resolved when the lead page is drawn."""
    from django.urls import reverse

    return reverse("admin:funding_fundingapplication_lead", args=[lead.pk])
