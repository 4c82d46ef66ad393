from django.urls import path

from directory.api import views

app_name = "directory_api"

urlpatterns = [
    path("organizations/", views.OrganizationList.as_view(), name="organization-list"),
    path("carriers/", views.CarrierList.as_view(), name="carrier-list"),
    path("sectors/", views.SectorList.as_view(), name="sector-list"),
]
