"""Bosetting: IMDi's settlement system, from the year's need to the day a household moves in.

Layer 7 (``tests/test_layers.py``): it may import everything from ``nir.rules`` up to
``nir.reports``; ``nir.api`` and ``nir.web`` call it. The modules:

* ``models``      the settlement data, append-only like the register (``Versioned``)
* ``actions/``    the one write path of settlement data (access check, storage, audit in one
                  transaction); a household settled writes the register through ``nir.actions``
* ``store``       append-only storage (create, supersede, annul), called only by ``actions/``
* ``selectors``   reads, scoped by ``nir.access.settlement``
* ``request``     the request (anmodning): the need distributed over municipalities by dated criteria
* ``figures``     the figures of ``settlement.md`` § 3, as known at any date

``docs/settlement.md`` is the user's and operator's guide.
"""
