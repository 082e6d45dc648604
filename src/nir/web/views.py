from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from nir.access import policy
from nir.reference.models import Municipality


def home(request):
    """The start page: a logged-in user who has a work list goes straight to Arbeidsflate."""
    if request.user.is_authenticated and policy.page_allowed(request.user, "worklist"):
        return redirect("worklist")
    return render(request, "web/home.html", {"n_municipalities": Municipality.objects.count()})


def health(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
