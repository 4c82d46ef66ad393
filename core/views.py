import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found
from django.views.defaults import server_error as server_error_page

from core.health import failing_checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise; the body names no host or error."""
    if failing_checks():
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A path the URL patterns reject (an id that is not a number) answers the API's JSON 404 under /api/, and
    the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return page_not_found(request, exception)


# How long a client is asked to wait when the database does not answer: a restart of PostgreSQL takes about a
# second, a fail-over longer; clients that retry sooner only add to the queue.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exception: BaseException | None) -> bool:
    """An error that says the database cannot be reached or used right now — refused or dropped connections, a
    server shutting down or restarting, a lock or serialization failure — rather than a defect in our code:
    Django raises these as OperationalError or InterfaceError whatever the backend."""
    return isinstance(exception, (OperationalError, InterfaceError))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while the uncaught exception is being handled, so `sys.exc_info()` names it.

    A database outage answers 503 with Retry-After, which clients and load balancers read as "try again" rather
    than as a bug; anything else stays 500. Under /api/ both are JSON in the API's error shape. Neither names the
    error: it is in the log (django.request)."""
    api = request.path.startswith("/api/")
    if database_unavailable(sys.exc_info()[1]):
        if api:
            response: HttpResponse = JsonResponse(
                {"detail": gettext("The service is briefly unavailable. Please try again in a few seconds.")},
                status=503,
            )
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    elif api:
        response = JsonResponse({"detail": gettext("A server error occurred.")}, status=500)
    else:
        response = server_error_page(request)
    patch_cache_control(response, no_store=True)
    return response
