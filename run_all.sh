#!/usr/bin/env bash
# The whole exercise in one command (see run_all.py --help).
cd "$(dirname "$0")" && exec "${PYTHON:-python}" run_all.py "$@"
