from django.urls import path

from talent.api import views

app_name = "talent_api"

urlpatterns = [
    path("contacts/", views.ContactListCreate.as_view(), name="contact-list"),
    path("contacts/<int:id>/", views.ContactDetail.as_view(), name="contact-detail"),
    path("contacts/<int:id>/duplicates/", views.ContactDuplicates.as_view(), name="contact-duplicates"),
    # Merges the contact in the path INTO the one named by the body's `into`.
    path("contacts/<int:id>/merge/", views.ContactMergeInto.as_view(), name="contact-merge"),
    path("events/", views.EventListCreate.as_view(), name="event-list"),
    path("events/<int:id>/attendances/", views.EventAttendances.as_view(), name="event-attendances"),
]
