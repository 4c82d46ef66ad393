from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
    path("m/log/", views.quick_log, name="quick-log"),
    path("m/leads/", views.quick_log_leads, name="quick-log-leads"),
]
