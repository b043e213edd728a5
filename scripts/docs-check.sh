#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Documentation checks, each reported as "docs: WHAT ok|FAIL":
#  - every .rst under Documentation/ parses without a docutils warning
#    (scripts/rstcheck.py: plain docutils, with kernel-doc's Sphinx markup
#    passed through);
#  - Documentation/gntv3/api.rst is what scripts/gen-api-doc.sh makes of the
#    current kernel-doc comments (not stale);
#  - every symbol the module exports is documented in api.rst.
set -uo pipefail

cd "$(dirname "$0")/.."
rc=0

mapfile -t pages < <(git ls-files -co --exclude-standard -- 'Documentation/*.rst')
/usr/bin/python3 scripts/rstcheck.py "${pages[@]}" || rc=1

api=Documentation/gntv3/api.rst
if diff -u "$api" <(bash scripts/gen-api-doc.sh --stdout) >/dev/null; then
	echo "docs: $api matches kernel-doc ok"
else
	echo "docs: $api matches kernel-doc FAIL (run scripts/gen-api-doc.sh)"
	diff -u "$api" <(bash scripts/gen-api-doc.sh --stdout) | head -40
	rc=1
fi

missing=()
for sym in $(sed -n 's/^EXPORT_SYMBOL\(_GPL\)\?(\([a-z0-9_]*\));/\2/p' \
		drivers/xen/gntv3/*.c | sort -u); do
	grep -q "^\.\. c:function:: .*[ *]$sym (" "$api" || missing+=("$sym")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "docs: every exported symbol is in $api ok"
else
	echo "docs: every exported symbol is in $api FAIL: ${missing[*]}"
	rc=1
fi
exit $rc
