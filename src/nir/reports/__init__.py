"""The NIR reports (issue 4): one implementation served by the pages, the API and ``nir report``.

``nir.reports.registry`` holds one definition per report id (title, help text,
definition, columns, specific filters) and runs a report as one database query
(``nir.reports.queries``); ``nir.reports.exports`` turns the result into JSON,
CSV or XLSX. See ``docs/reports.md``.
"""
