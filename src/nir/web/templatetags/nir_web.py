"""Template tags of the web application.

``{% help "person.vedtak" %}`` renders the "?" beside a field, section or report: a disclosure
(``<details>``) that opens the current help text (``nir.web.help``); it works without JavaScript
and by keyboard. A key without a text renders nothing.

``{% if request.user|rules_detail %}``: whether the user sees the Regelmotor's technical detail
(rule ids …), «For fagansvarlige» (``nir.web.explanations.shows_detail``).
"""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string

from nir.web.explanations import shows_detail
from nir.web.help import text_for

register = template.Library()


@register.simple_tag(takes_context=True)
def help(context, key: str, label: str = ""):
    text = text_for(key)
    if text is None:
        return ""
    return render_to_string("web/_help.html", {"help": text, "label": label or text.title})


@register.filter
def rules_detail(user) -> bool:
    return shows_detail(user)


@register.inclusion_tag("web/settlements/_nav.html", takes_context=True)
def settlement_nav(context):
    """``{% settlement_nav %}``: the Bosetting sub-navigation (``nir.web.settlement_nav``), the current
    page taken from the request's URL name."""
    from nir.web.settlement_nav import settlement_nav as items

    request = context["request"]
    match = getattr(request, "resolver_match", None)
    return {"items": items(request, match.url_name if match else None)}
