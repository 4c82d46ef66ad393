from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
]
