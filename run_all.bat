@echo off
rem The whole exercise in one command (see run_all.py --help).
cd /d "%~dp0"
python run_all.py %*
exit /b %errorlevel%
