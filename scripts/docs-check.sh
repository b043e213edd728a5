#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every reStructuredText file under Documentation/ must parse without a
# docutils warning; reported per file as "docs: FILE ok|FAIL".
set -uo pipefail

cd "$(dirname "$0")/.."
rc=0
for f in $(git ls-files -co --exclude-standard -- 'Documentation/*.rst'); do
	# --halt=warning turns any docutils warning into an error.  The pages
	# use plain reStructuredText, no Sphinx-only directive, so that
	# docutils alone (no Sphinx, no kernel tree) can check them.
	if out=$(/usr/bin/python3 -m docutils --halt=warning --report=warning \
			"$f" /dev/null 2>&1); then
		echo "docs: $f ok"
	else
		echo "docs: $f FAIL"
		echo "$out"
		rc=1
	fi
done
exit $rc
