from django.urls import path

from talent import views

app_name = "talent"

urlpatterns = [
    path("m/capture/", views.capture_events, name="capture-events"),
    path("m/capture/organizations/", views.capture_organizations, name="capture-organizations"),
    path("m/capture/<int:event_id>/", views.capture, name="capture"),
    path("m/capture/<int:event_id>/submit/", views.capture_submit, name="capture-submit"),
    path("r/<str:key>/", views.register, name="register"),
    path("r/<str:key>/done/", views.register_done, name="register-done"),
]
