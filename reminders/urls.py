from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/unread/", views.unread, name="unread"),
    path("inbox/read/", views.mark_read, name="mark-read"),
    path("inbox/settings/", views.preferences, name="preferences"),
    path("inbox/settings/calendar/", views.rotate_calendar, name="rotate-calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
]
