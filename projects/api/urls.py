from django.urls import path

from projects.api import views

app_name = "projects_api"

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="lead-list"),
    path("leads/<int:id>/", views.LeadDetail.as_view(), name="lead-detail"),
    path("leads/<int:id>/transitions/", views.LeadTransitions.as_view(), name="lead-transitions"),
    path("leads/<int:id>/signings/", views.LeadSignings.as_view(), name="lead-signings"),
    path("leads/<int:id>/activities/", views.LeadActivities.as_view(), name="lead-activities"),
    path("leads/<int:id>/milestones/", views.LeadMilestones.as_view(), name="lead-milestones"),
    path("milestones/<int:id>/complete/", views.MilestoneComplete.as_view(), name="milestone-complete"),
    path("documents/", views.DocumentUpload.as_view(), name="document-upload"),
]
