"""Code list permit_basis, version 2026-12: ``family_of_worker`` split off ``work`` (issue 19).

Until this version the code ``work`` ("Arbeidsinnvandring fra land utenfor EØS, med familie") covered both
the labour immigrant and the family who came with or to them. In law they differ: the family are family
immigrants under utl. ch. 6, in the may-be-offered group of the introduction programme (il. § 8 third
paragraph) and — like the worker — with a duty to Norwegian (il. § 28). The new code ``family_of_worker``
("Familieinnvandring med arbeidsinnvandrer som referanseperson") is used for new registrations.

Existing ``work`` registrations are **left as they are**: nothing in the register tells a worker from a
family member (no reference person, no family link on ResidencePermit), and the register is append-only —
a registration states what was registered. A ``work`` permit registered before this version may therefore be
a family member's; the code list says so in ``work``'s source text. The municipality or UDI corrects one by
registering the permit again with ``family_of_worker`` through the ordinary write path (the new registration
supersedes the old one, with its audit trail); the rules then give the programme's may-be-offered group.
For Norwegian nothing changes (both have a duty), so no deadline moves.

This migration changes no rows (there is no column to alter: ``ResidencePermit.basis`` is a code of the list,
validated by the actions layer against ``nir.codes``); it records the code-list change in the migration history.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0016_warning_acknowledgement"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop, elidable=False),
    ]
