from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from nir.reference.models import Municipality
from nir.register.models import Person


def home(request):
    context = {"n_municipalities": Municipality.objects.count()}
    if request.user.is_authenticated:
        # Counts only: no personal data on this page.
        context["n_persons"] = Person.objects.count()
    return render(request, "web/home.html", context)


def health(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
