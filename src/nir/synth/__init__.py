"""The synthetic population generator behind ``nir synth`` (docs/synthetic-data.md).

* ``world``     — the fixed world: cohorts, distributions, municipalities, code windows
* ``names``     — built-in name lists per origin
* ``ids``       — synthetic fødselsnumre/D-numre and DUF numbers, vectorised
* ``clock``     — Oslo local time and UTC microseconds for registration times (date arithmetic: ``nir.rules.dates``)
* ``generator`` — the population model: blocks of persons as polars frames
* ``worker``    — the generator as a separate process
* ``pipeline``  — blocks in chunks to a writer, with progress
* ``writers``   — PostgreSQL (COPY), SQLite (executemany) and JSON Lines

Nothing here imports Django except ``writers``; the generator runs in a worker
process without it.
"""
