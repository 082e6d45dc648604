"""Help texts (hjelpetekster): the "?" beside fields and reports, editable by IMDi.

Append-only like the register: an edit adds a new version and marks the previous one superseded,
so that what a user was shown on a day can always be found again, with who wrote it and when.
The texts delivered with the application (``data/help_texts.yaml``) are loaded as the first
version of each key (``nir.web.help.load_defaults``, after every migrate).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class HelpTextQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)


class HelpText(models.Model):
    key = models.SlugField("nøkkel", max_length=80)  # e.g. "person.vedtak", "report.personliste"
    title = models.CharField("tittel", max_length=200)
    text = models.TextField("tekst")
    recorded_at = models.DateTimeField("registrert")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = HelpTextQuerySet.as_manager()

    class Meta:
        verbose_name = "hjelpetekst"
        verbose_name_plural = "hjelpetekster"
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(superseded_at__isnull=True), name="help_text_one_current_per_key"
            ),
        ]
        indexes = [models.Index(fields=["key", "recorded_at"])]

    def __str__(self):
        return self.key
