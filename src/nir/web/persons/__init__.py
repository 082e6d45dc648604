"""Personer: search, person lists, the person page and its registrations (issue 6).

    /personer/                                  search (DUF-nummer, navn; fødselsnummer by POST) and
                                                NIR Personlister (search.py)
    /personer/<duf>/                            the person page (views.py, page.py)
    /personer/<duf>/seksjon/<section>/          one section as an htmx fragment
    /personer/<duf>/historikk/                  every registration, all versions
    /personer/<duf>/ny/<kind>/?ordning=…        the «+ Legg til» forms (forms.py)

The person is read by ``nir.access.read`` — the same reader as the API — and registered
through ``nir.register.services`` with the Regelmotor's guard.
"""
