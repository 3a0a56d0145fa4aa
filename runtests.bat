@echo off
rem The course's checks: code style, Python 3.8 compatibility, unit tests. Exit status non-zero if any fails.
setlocal
cd /d "%~dp0"
rem a missing package ends here, in one sentence that names it
python -m lib.packages --tests
if errorlevel 1 exit /b 2
set "status=0"
echo == pycodestyle --max-line-length 120 .
python -m pycodestyle --max-line-length 120 .
if errorlevel 1 set "status=1"
echo == vermin: Python 3.8 compatibility (settings in setup.cfg)
vermin .
if errorlevel 1 set "status=1"
echo == python -m pytest
python -m pytest %*
if errorlevel 1 set "status=1"
if "%status%"=="0" (echo runtests: all checks passed) else (echo runtests: FAILED)
exit /b %status%
