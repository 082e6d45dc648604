"""What the API itself must remember: the batches it has accepted, by their Idempotency-Key."""

from __future__ import annotations

from django.db import models


class Batch(models.Model):
    """One ``POST /api/v1/batches`` the API has answered, so that resending it creates nothing twice.

    Written in the same transaction as the batch's registrations: a batch is either wholly
    registered and remembered, or neither (a crash mid-batch leaves nothing). ``owner`` is who sent it
    (``user:ID`` or ``client:ID``); an Idempotency-Key is unique per owner. ``request_sha256`` tells a
    resend (same body: the stored answer is replayed) from a reused key (different body: refused).
    """

    owner = models.CharField(max_length=40)
    idempotency_key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    mode = models.CharField(max_length=10)
    created_at = models.DateTimeField()
    items = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField()
    refused = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()

    class Meta:
        verbose_name = "batch"
        verbose_name_plural = "batcher"
        constraints = [models.UniqueConstraint(fields=["owner", "idempotency_key"], name="batch_owner_key_unique")]

    def __str__(self):
        return f"{self.owner} {self.idempotency_key}"
