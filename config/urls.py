from django.contrib import admin
from django.urls import include, path

from core.admin import view_on_site
from core.views import healthz
from reporting.views.dashboard import home

# Uploaded documents are never served as static media: only views that apply the visibility rule hand them out.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own /admin/r/, which it replaces with a scoped one.
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("talent.urls")),
    path("", include("projects.urls")),
    path("", include("reminders.urls")),
    path("", include("reporting.urls")),
    path("", home, name="home"),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
