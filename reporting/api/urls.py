from django.urls import path

from reporting.api import views

app_name = "reporting_api"

urlpatterns = [
    path("funnel/", views.FunnelView.as_view(), name="funnel"),
]
