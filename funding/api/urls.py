from django.urls import path

from funding.api import views

app_name = "funding_api"

urlpatterns = [
    path("funding/programs/", views.ProgramList.as_view(), name="program-list"),
    path("funding/applications/", views.ApplicationListCreate.as_view(), name="application-list"),
    path("funding/applications/<int:id>/", views.ApplicationDetail.as_view(), name="application-detail"),
]
