"""Payment rounds and their statements, stored (grants.md A.1 «Entities», A.8).

* ``PaymentRound`` (*terminutbetaling*): one quarter of a grant year, computed from the register as known
  at ``cutoff_known_at`` (``nir.grants.actions.calculate_round``). A *draft* may be recalculated (its lines
  are replaced); once IMDi approves it (``approve_round``) the round and its lines are frozen, and later
  rounds subtract its deltas as paid. ``paid`` is the next status (the money left IMDi).
* ``StatementLine`` (*termingrunnlag-linje*): one (person, grant type, grant year, recipient) of a round —
  what is due by the round's period end, what earlier approved rounds paid, the difference (``delta``:
  positive a payment or arrears, negative a settlement), with the rule, rate and explanation behind it.
* ``GrantErrorReport`` («Meld feil i grunnlag»): a municipality's report of an error in a line, a case
  for IMDi, who answers it.

Append-only where it matters (``nir.grants.db``, installed after every migrate): a line is never
updated, and deleted only while its round is a draft; an approved round changes only to *paid*; a paid
round never; an error report is never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RoundStatus(models.TextChoices):
    DRAFT = "draft", "Utkast"
    APPROVED = "approved", "Godkjent"
    PAID = "paid", "Utbetalt"


class PaymentRound(models.Model):
    grant_year = models.PositiveSmallIntegerField("tilskuddsår")
    quarter = models.PositiveSmallIntegerField("termin")
    cutoff_known_at = models.DateTimeField("registeret slik det var kjent")
    period_end = models.DateField("periodeslutt")
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    calculated_at = models.DateTimeField("beregnet")
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    calculated_by_label = models.CharField("beregnet av", max_length=150)
    approved_at = models.DateTimeField("godkjent", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by_label = models.CharField("godkjent av", max_length=150, blank=True)
    paid_at = models.DateTimeField("utbetalt", null=True, blank=True)
    # What the calculation used: the Regelmotor's rules version and the grants' (engine and parameters)
    rules_version = models.CharField(max_length=40)
    grants_version = models.CharField(max_length=40)
    # The latest earlier approved round whose deltas were subtracted as paid ("" none): an approval
    # checks it is still the latest, so no payment is counted twice (nir.grants.actions.approve_round)
    paid_through = models.CharField(max_length=7, blank=True)
    persons = models.PositiveIntegerField("personer beregnet", default=0)
    summary = models.JSONField(default=dict, blank=True)  # lines, total, findings by kind

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grant_year", "quarter"], name="grants_round_unique"),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="grants_round_quarter"),
        ]
        ordering = ["grant_year", "quarter"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.grant_year}Q{self.quarter}"

    @property
    def frozen(self) -> bool:
        return self.status != RoundStatus.DRAFT


class StatementLine(models.Model):
    round = models.ForeignKey(PaymentRound, on_delete=models.PROTECT, related_name="lines")
    recipient = models.CharField("mottaker", max_length=20)  # municipality:NNNN | county:NN
    person = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+")
    grant_type = models.CharField("tilskuddstype", max_length=20)
    grant_year = models.PositiveSmallIntegerField("tilskuddsår")
    due = models.DecimalField("forfalt", max_digits=14, decimal_places=0)
    paid_before = models.DecimalField("utbetalt før", max_digits=14, decimal_places=0)
    delta = models.DecimalField("differanse", max_digits=14, decimal_places=0)
    year_index = models.PositiveSmallIntegerField("år", null=True, blank=True)
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    rules = models.JSONField("regler", default=list)
    explanation = models.TextField("forklaring")
    rate = models.TextField("sats", blank=True)
    verified = models.BooleanField("verifisert")
    requires_notice = models.BooleanField("krever forhåndsvarsel", default=False)

    class Meta:
        indexes = [
            models.Index(fields=["round", "recipient"], name="grants_line_recipient"),
            models.Index(fields=["person", "grant_type", "grant_year"], name="grants_line_key"),
        ]
        ordering = ["round", "recipient", "person", "grant_type", "grant_year"]


class ReportStatus(models.TextChoices):
    OPEN = "open", "Åpen"
    ANSWERED = "answered", "Besvart"


class GrantErrorReport(models.Model):
    """«Meld feil i grunnlag»: a case for IMDi on one statement line (grants.md A.8)."""

    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="error_reports")
    recipient = models.CharField("mottaker", max_length=20)
    text = models.TextField("beskrivelse")
    reported_at = models.DateTimeField("meldt")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_by_label = models.CharField("meldt av", max_length=150)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    answer = models.TextField("IMDis svar", blank=True)
    answered_at = models.DateTimeField("besvart", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_by_label = models.CharField("besvart av", max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "status"], name="grants_report_recipient")]
        ordering = ["-reported_at"]
