#!/usr/bin/env bash
# The course's checks: code style, Python 3.8 compatibility, unit tests. Exit status non-zero if any fails.
cd "$(dirname "$0")" || exit 1
python -m lib.packages --tests || exit 2  # a missing package ends here, in one sentence that names it
status=0
echo "== pycodestyle --max-line-length 120 ."
python -m pycodestyle --max-line-length 120 . || status=1
echo "== vermin: Python 3.8 compatibility (settings in setup.cfg)"
vermin . || status=1
echo "== python -m pytest"
python -m pytest "$@" || status=1
if [ "$status" -ne 0 ]; then echo "runtests: FAILED"; else echo "runtests: all checks passed"; fi
exit "$status"
