"""/healthz for load balancers and monitoring: no login, one trivial query, 200 or 503."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "nicht erreichbar"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
