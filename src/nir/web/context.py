"""Template context of every page: the main menu for the logged-in user."""

from __future__ import annotations

from nir.web.menu import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nir_menu": []}
    match = getattr(request, "resolver_match", None)
    return {"nir_menu": menu_for(user, match.url_name if match else None)}
