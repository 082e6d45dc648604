"""Reference data: counties, municipalities, districts and code lists.

Every row has a validity window (``valid_from``/``valid_to``, inclusive) so
that earlier or later numberings can sit beside the 2024 numbering.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ValidityQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class County(models.Model):
    number = models.CharField("fylkesnummer", max_length=2)
    name = models.CharField("fylkesnavn", max_length=100)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        verbose_name = "fylke"
        verbose_name_plural = "fylker"
        constraints = [models.UniqueConstraint(fields=["number", "valid_from"], name="county_number_from_uniq")]
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class Municipality(models.Model):
    number = models.CharField("kommunenummer", max_length=4)
    name = models.CharField("kommunenavn", max_length=100)
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="municipalities")
    population = models.PositiveIntegerField("folketall", null=True, blank=True)
    population_date = models.DateField(null=True, blank=True)
    economic_region_number = models.CharField("økonomisk region", max_length=5, blank=True)
    economic_region_name = models.CharField(max_length=100, blank=True)
    labour_region_number = models.CharField("bo- og arbeidsmarkedsregion", max_length=5, blank=True)
    labour_region_name = models.CharField(max_length=100, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        verbose_name = "kommune"
        verbose_name_plural = "kommuner"
        constraints = [models.UniqueConstraint(fields=["number", "valid_from"], name="municipality_number_from_uniq")]
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class District(models.Model):
    """A district (bydel) of a municipality, e.g. Oslo's 0301NN."""

    number = models.CharField("bydelsnummer", max_length=6)
    name = models.CharField("bydelsnavn", max_length=100)
    municipality_number = models.CharField(max_length=4)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        verbose_name = "bydel"
        verbose_name_plural = "bydeler"
        constraints = [models.UniqueConstraint(fields=["number", "valid_from"], name="district_number_from_uniq")]
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class CodeEntry(models.Model):
    """One code of one code list (kodeverk), mirrored from ``nir/codes/data``.

    The YAML files are the source of truth (the rules engine reads them
    directly); this table lets the database join, filter and show labels.
    """

    list = models.CharField(max_length=50)
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=300)
    description = models.CharField(max_length=300, blank=True)
    group = models.CharField(max_length=100, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    verified = models.BooleanField(default=True)
    sort = models.PositiveIntegerField(default=0)
    attrs = models.JSONField(default=dict, blank=True)

    objects = ValidityQuerySet.as_manager()

    class Meta:
        verbose_name = "kode"
        verbose_name_plural = "kodeverk"
        constraints = [models.UniqueConstraint(fields=["list", "code"], name="code_list_code_uniq")]
        ordering = ["list", "sort"]

    def __str__(self):
        return f"{self.list}:{self.code} {self.label}"
