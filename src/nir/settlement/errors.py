"""Refusals of settlement actions: bad input named by its field (422 in the API, the form's field on a page)."""


class SettlementRefused(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
