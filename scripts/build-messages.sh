#!/usr/bin/env bash
# Update and compile the bokmål catalogue of the user interface.
#   scripts/build-messages.sh          compile nb/LC_MESSAGES/django.po -> django.mo
#   scripts/build-messages.sh --update first collect new msgids from the templates and code
#                                      (django makemessages), then compile
# Needs Debian's gettext (xgettext, msgfmt). The compiled .mo is committed, so running NIR needs
# no gettext; tests/web/test_i18n_catalogue.py fails when it is stale or a text lacks bokmål.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/src/nir"
if [[ "${1:-}" == "--update" ]]; then
  "$ROOT/.venv/bin/nir" makemessages --locale nb --no-obsolete --ignore "static/*" >/dev/null
  echo "nye tekster uten oversettelse: $(msgattrib --untranslated locale/nb/LC_MESSAGES/django.po | grep -c '^msgid ' || true)"
fi
msgfmt --check-format -o locale/nb/LC_MESSAGES/django.mo locale/nb/LC_MESSAGES/django.po
echo "nb: $(grep -c '^msgid ' locale/nb/LC_MESSAGES/django.po) meldinger"
