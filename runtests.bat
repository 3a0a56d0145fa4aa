@echo off
rem The course's checks: code style, Python 3.8 compatibility, the unit tests. Exit status non-zero if one fails.
setlocal
cd /d "%~dp0"
python -c "import pytest, pycodestyle, vermin" 2>nul
if errorlevel 1 (echo runtests: the test tools are missing; install them with: python -m pip install -r requirements.txt & exit /b 2)
set "status=0"
echo == pycodestyle --max-line-length 120 .
python -m pycodestyle --max-line-length 120 .
if errorlevel 1 set "status=1"
echo == vermin: Python 3.8 compatibility
vermin .
if errorlevel 1 set "status=1"
echo == python -m pytest
python -m pytest %*
if errorlevel 1 set "status=1"
if "%status%"=="0" (echo runtests: all checks passed) else (echo runtests: FAILED)
exit /b %status%
