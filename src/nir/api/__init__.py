"""The REST API ``/api/v1/`` (Django Ninja): persons, registrations, code lists, reports (docs/api.md)."""
