#!/usr/bin/env bash
# Build the bokmål catalogue from its parts (one per area of the web application, written while
# the pages are built side by side): src/nir/locale/parts/*.po -> nb/LC_MESSAGES/django.po -> .mo.
# Needs gettext (msgcat, msgfmt). The compiled .mo is committed, so running NIR needs no gettext.
set -euo pipefail
cd "$(dirname "$0")/../src/nir/locale"
msgcat --use-first --sort-output -o nb/LC_MESSAGES/django.po parts/*.po
msgfmt --check-format -o nb/LC_MESSAGES/django.mo nb/LC_MESSAGES/django.po
echo "nb: $(grep -c '^msgid ' nb/LC_MESSAGES/django.po) meldinger"
