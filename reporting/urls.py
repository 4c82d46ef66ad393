from django.urls import path

from reporting.views import brief, dashboard, exports

app_name = "reporting"

urlpatterns = [
    path("reports/", dashboard.dashboard, name="dashboard"),
    path("reports/leads/", dashboard.lead_list, name="leads"),
    path("reports/leads/export/", exports.lead_list_export, name="leads-export"),
    path("reports/funnel.xlsx", exports.funnel_export, name="funnel-export"),
    path("reports/ledger/", exports.weekly_ledger, name="weekly-ledger"),
    path("reports/ledger.xlsx", exports.weekly_ledger_xlsx, name="weekly-ledger-xlsx"),
    path("reports/dispatch/", exports.dispatch_list, name="dispatch"),
    path("reports/dispatch.xlsx", exports.dispatch_list_xlsx, name="dispatch-xlsx"),
    path("reports/brief/", brief.monthly_brief, name="brief"),
    path("reports/brief.pdf", brief.monthly_brief_pdf, name="brief-pdf"),
]
