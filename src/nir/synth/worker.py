"""The generator as a separate process: ``python -m nir.synth.worker PERSONS SEED NOW``.

Writes the blocks of the population to standard output as length-prefixed
pickles (8-byte little-endian length, then the pickled ``Batch``), in order,
and exits 0; on an error it prints the traceback to standard error and exits
1. Imports no Django. ``nir.synth.pipeline`` starts it and reads the blocks
while it writes the previous ones to the database.
"""

from __future__ import annotations

import datetime as dt
import pickle
import struct
import sys

from nir.synth.generator import Generator

HEADER = struct.Struct("<Q")


def main(argv: list[str]) -> int:
    persons, seed, now = int(argv[0]), int(argv[1]), dt.datetime.fromisoformat(argv[2])
    g = Generator(persons, seed, now)
    out = sys.stdout.buffer
    for b in range(g.blocks):
        data = pickle.dumps(g.block(b), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(HEADER.pack(len(data)))
        out.write(data)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
