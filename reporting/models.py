from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """Owns no rows (reporting reads every app and owns no facts); it only carries the reporting permissions."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("Can view the dashboard and aggregate reports"))]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
