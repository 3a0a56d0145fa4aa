#!/usr/bin/env bash
# The course's checks: code style, Python 3.8 compatibility, the unit tests. Exit status non-zero if one fails.
cd "$(dirname "$0")" || exit 1
python -c "import pytest, pycodestyle, vermin" 2>/dev/null ||
    { echo "runtests: the test tools are missing; install them with: python -m pip install -r requirements.txt" >&2; exit 2; }
status=0
echo "== pycodestyle --max-line-length 120 ."
python -m pycodestyle --max-line-length 120 . || status=1
echo "== vermin: Python 3.8 compatibility"
vermin . || status=1
echo "== python -m pytest"
python -m pytest "$@" || status=1
if [ "$status" -ne 0 ]; then echo "runtests: FAILED"; else echo "runtests: all checks passed"; fi
exit "$status"
