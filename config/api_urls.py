"""The API: /api/v1/ resources, the OpenAPI schema and Swagger UI (served from the sidecar, no CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("v1/", include("accounts.api.urls")),
    path("v1/", include("projects.api.urls")),
    path("v1/", include("directory.api.urls")),
    path("v1/", include("talent.api.urls")),
    path("v1/", include("funding.api.urls")),
    path("v1/", include("reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
