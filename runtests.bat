@echo off
rem The course's checks: code style, Python 3.8 compatibility, unit tests. Exit status non-zero if any fails.
cd /d "%~dp0"
set status=0
echo == pycodestyle --max-line-length 120 .
python -m pycodestyle --max-line-length 120 .
if errorlevel 1 set status=1
echo == vermin: Python 3.8 compatibility
vermin -q -t=3.8- --no-tips --violations --eval-annotations --exclude-regex "[\\/](\.venv|venv|data|\.git)([\\/]|$)" .
if errorlevel 1 set status=1
echo == python -m pytest
python -m pytest %*
if errorlevel 1 set status=1
if %status% neq 0 (echo runtests: FAILED) else (echo runtests: all checks passed)
exit /b %status%
