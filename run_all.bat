@echo off
rem The whole exercise in one command (Windows version of run_all.sh): part 2 figures, the VAE and its latent
rem space for KL weights 1, 30 and 0, FD/KID of the VAEs' prior samples, the GAN (500 epochs), samples of the
rem course's 2500-epoch generator, FD/KID of both generators, temperature samples of our own generator, and
rem submission.pdf built from all of it.
rem
rem   run_all.bat                  full run into the repository root; writes submission.pdf
rem   run_all.bat --quick          smoke run (VAE 1 epoch, GAN 2 epochs) into results_quick\; writes
rem                                results_quick\submission.pdf, marked as a quick run on every page
rem   run_all.bat --force          train and draw again even where finished results exist
rem   run_all.bat --names "A, B"   names for the title page of the PDF
rem
rem Finished results are reused and an interrupted training is continued from its checkpoint, so after an
rem interruption the same command goes on where it stopped. Environment: PYTHON (default python), DATA_SOURCE
rem (offline data for prepare_data.py, default ..\shared\datasets), REFERENCE_DIR (the course's reference files,
rem default ..\shared\reference), MNIST_ROOT and FLOWERS_ROOT as in the README; --quick sets OMP_NUM_THREADS=1
rem unless it is set.
setlocal EnableExtensions
cd /d "%~dp0"

set "QUICK=0"
set "FORCE=0"
set "NAMES="
:parse
if "%~1"=="" goto parsed
if /i "%~1"=="--quick" (set "QUICK=1" & shift & goto parse)
if /i "%~1"=="--force" (set "FORCE=1" & shift & goto parse)
if /i "%~1"=="--names" (set "NAMES=%~2" & shift & shift & goto parse)
if /i "%~1"=="--help" goto usage
if /i "%~1"=="-h" goto usage
echo run_all: unknown argument "%~1" 1>&2
exit /b 2
:usage
echo usage: run_all.bat [--quick] [--force] [--names "A, B"]
echo   (no flag)   full run into the repository root; writes submission.pdf
echo   --quick     smoke run (VAE 1 epoch, GAN 2 epochs) into results_quick\; writes results_quick\submission.pdf
echo   --force     train and draw again even where finished results exist
echo   --names     names for the title page of the PDF
exit /b 0
:parsed

if not defined PYTHON set "PYTHON=python"
rem a package missing from this Python ends here, in one sentence that names it
%PYTHON% -m lib.packages
if errorlevel 1 exit /b 2
if not defined DATA_SOURCE set "DATA_SOURCE=..\shared\datasets"
if not defined REFERENCE_DIR set "REFERENCE_DIR=..\shared\reference"
rem T = 1 is the prior the generator was trained on; T = 0.5 shrinks the codes towards its centre. The same seed
rem for both draws the same directions in latent space, so the two grids differ only by the temperature.
set "SAMPLE_SEED=0"
rem The temperature grids come from the moving average of our generator, the better one by FD/KID (README).
set "SAMPLE_GENERATOR=generator_ema.pth"
rem The feature classifiers of evaluate_vae.py and evaluate_gan.py are trained once and shared by full and quick runs.
if not defined EVAL_CACHE set "EVAL_CACHE=results_eval"
if "%QUICK%"=="1" (
    rem a separate root, so quick results never mix with, or overwrite, the full ones
    set "ROOT=results_quick"
    set "VAE_EPOCHS=1"
    set "GAN_EPOCHS=2"
    set "PDF=results_quick\submission.pdf"
    set "MARK=--quick"
    rem one sampling seed for FD/KID: the numbers of a smoke run only show that the step works
    set "EVAL_SEEDS=1"
    rem one thread per process: small models, and a busy 2-core machine made two threads 3-4 times slower
    if not defined OMP_NUM_THREADS set "OMP_NUM_THREADS=1"
) else (
    set "ROOT=."
    set "VAE_EPOCHS=15"
    set "GAN_EPOCHS=500"
    set "PDF=submission.pdf"
    set "MARK="
    set "EVAL_SEEDS=3"
)
set "MPLBACKEND=Agg"
rem exit status of the last training script: 130 (Ctrl-C) or 143 (SIGTERM) means interrupted, not failed
set "STATUS=0"
if not exist "%ROOT%" mkdir "%ROOT%"
echo run_all: started at %TIME%

set "STEP=data"
call :banner
set "MNIST_DIR=data"
if defined MNIST_ROOT set "MNIST_DIR=%MNIST_ROOT%"
set "FLOWERS_DIR=dataset_flowers_64px"
if defined FLOWERS_ROOT set "FLOWERS_DIR=%FLOWERS_ROOT%"
set "DATA_OK=1"
if not exist "%MNIST_DIR%\MNIST\raw\train-images-idx3-ubyte" set "DATA_OK=0"
if not exist "%FLOWERS_DIR%\train\" set "DATA_OK=0"
set "CAN_PREPARE=0"
if exist prepare_data.py if exist "%DATA_SOURCE%\" set "CAN_PREPARE=1"
if "%DATA_OK%"=="1" (
    echo MNIST and flowers are in place
) else if "%CAN_PREPARE%"=="1" (
    %PYTHON% prepare_data.py --source "%DATA_SOURCE%"
    if errorlevel 1 goto failed
) else (
    echo data incomplete and no offline copy in %DATA_SOURCE%: torchvision downloads MNIST when there is internet; the flowers go into dataset_flowers_64px\ ^(see README, Data^)
)

set "STEP=part 2: central limit theorem (plot_clt.py)"
call :banner
call :need "%ROOT%\results_distributions\clt.png"
if "%NEED%"=="0" (echo reusing %ROOT%\results_distributions\clt.png) else (
    %PYTHON% plot_clt.py --output_dir "%ROOT%\results_distributions" --quiet
    if errorlevel 1 goto failed
)
set "STEP=part 2: normal distribution from uniform samples (plot_normal.py)"
call :banner
call :need "%ROOT%\results_distributions\normal.png"
if "%NEED%"=="0" (echo reusing %ROOT%\results_distributions\normal.png) else (
    %PYTHON% plot_normal.py --output_dir "%ROOT%\results_distributions" --quiet
    if errorlevel 1 goto failed
)

set "ANY_VAE_TRAINED=0"
call :vae 1
if errorlevel 1 goto failed
call :vae 30
if errorlevel 1 goto failed
call :vae 0
if errorlevel 1 goto failed

set "STEP=part 3: FD/KID of prior samples for every KL weight (evaluate_vae.py)"
call :banner
call :need "%ROOT%\results_kl1.0\prior_quality.json" "%ROOT%\results_kl30.0\prior_quality.json" "%ROOT%\results_kl0.0\prior_quality.json"
if "%ANY_VAE_TRAINED%"=="0" if "%NEED%"=="0" (
    echo reusing results_kl*\prior_quality.json
    goto vae_quality_done
)
%PYTHON% evaluate_vae.py --results_root "%ROOT%" --kl_loss_weights 1 30 0 --cache_dir "%EVAL_CACHE%" --seeds %EVAL_SEEDS% --quiet
if errorlevel 1 goto failed
:vae_quality_done

set "STEP=part 4: GAN training, %GAN_EPOCHS% epoch(s) (run_gan_training.py)"
call :banner
call :find_gan_run
if "%FORCE%"=="0" if defined RUN (
    echo reusing %RUN%
    goto gan_done
)
rem an interrupted run with run_all's settings is continued (lib\report\results.py says which), else a new one starts
set "PARTIAL="
if "%FORCE%"=="0" for /f "usebackq delims=" %%r in (`%PYTHON% -c "import sys; from lib.report.results import resumable_gan_run; print(resumable_gan_run(*sys.argv[1:]) or '')" "%ROOT%\results_gan" %GAN_EPOCHS%`) do set "PARTIAL=%%r"
if defined PARTIAL goto gan_resume
%PYTHON% run_gan_training.py --epochs %GAN_EPOCHS% --output_dir "%ROOT%\results_gan" --quiet
set "STATUS=%ERRORLEVEL%"
goto gan_trained
:gan_resume
echo continuing the interrupted run %PARTIAL%
%PYTHON% run_gan_training.py --resume "%PARTIAL%" --epochs %GAN_EPOCHS% --quiet
set "STATUS=%ERRORLEVEL%"
:gan_trained
if not "%STATUS%"=="0" goto failed
call :find_gan_run
if not defined RUN (
    echo run_all: the GAN training ended without a finished run in %ROOT%\results_gan 1>&2
    goto failed
)
:gan_done

set "STEP=part 4: samples of the course's 2500-epoch generator (kept in results, never put into the PDF)"
call :banner
set "REFERENCE_CHECKPOINT=%REFERENCE_DIR%\gan_model_g_2500_epochs.pth"
set "OUT=%ROOT%\results_gan\reference_2500_epochs_T1.0.png"
call :need "%OUT%"
if not exist "%REFERENCE_CHECKPOINT%" (echo skipped: %REFERENCE_CHECKPOINT% is not available) else if "%NEED%"=="0" (
    echo reusing %OUT%
) else (
    %PYTHON% generate_gan_images.py --checkpoint "%REFERENCE_CHECKPOINT%" --temperature 1.0 --num_images 64 --seed %SAMPLE_SEED% --output "%OUT%" --quiet
    if errorlevel 1 goto failed
)

set "STEP=part 4: FD/KID of our generator (raw and EMA) and the course's (evaluate_gan.py)"
call :banner
set "OUT=%RUN%\sample_quality.json"
call :need "%OUT%"
if "%NEED%"=="0" (
    echo reusing %OUT%
    goto gan_quality_done
)
set "CHECKPOINTS=--checkpoint "%RUN%""
if exist "%REFERENCE_CHECKPOINT%" set "CHECKPOINTS=--checkpoint "%RUN%" --checkpoint "%REFERENCE_CHECKPOINT%""
%PYTHON% evaluate_gan.py %CHECKPOINTS% --cache_dir "%EVAL_CACHE%" --seeds %EVAL_SEEDS% --output "%OUT%" --quiet
if errorlevel 1 goto failed
:gan_quality_done

call :temperature 0.5
if errorlevel 1 goto failed
call :temperature 1.0
if errorlevel 1 goto failed

set "STEP=submission PDF (make_submission.py)"
call :banner
%PYTHON% make_submission.py --results_root "%ROOT%" --gan_run "%RUN%" --output "%PDF%" --names "%NAMES%" --reference_dir "%REFERENCE_DIR%" %MARK%
if errorlevel 1 goto failed

echo.
if "%QUICK%"=="1" (set "KIND=quick smoke run, not the exercise's results") else (set "KIND=full run")
echo run_all: done at %TIME%; wrote %PDF% (%KIND%)
rem the sheet requires the names; a quick run is never handed in
if "%QUICK%"=="0" if not defined NAMES echo run_all: warning: %PDF% has a blank Names line, but the PDF must name its submitters; add them with %~nx0 --names "A. B, C. D" ^(it reuses every finished result and builds only the PDF again^) 1>&2
exit /b 0

:failed
echo. 1>&2
if "%STATUS%"=="130" goto interrupted
if "%STATUS%"=="143" goto interrupted
echo run_all: FAILED in step "%STEP%" (see the messages above). Finished steps are kept: fix the cause and run the same command again. 1>&2
exit /b 1
:interrupted
echo run_all: step "%STEP%" was interrupted. Finished steps and the training's checkpoint are kept: run the same command again to continue from there. 1>&2
exit /b %STATUS%

rem ---------------------------------------------------------------------------------------------------------------
rem Subroutines. Each returns errorlevel 1 on failure; the caller jumps to :failed.

:banner
echo.
echo == [%TIME%] %STEP%
exit /b 0

:need
rem NEED=1 when --force was given or any of the named files is missing, else NEED=0.
set "NEED=%FORCE%"
:need_loop
if "%~1"=="" exit /b 0
if not exist "%~1" set "NEED=1"
shift /1
goto need_loop

:vae
set "DIR=%ROOT%\results_kl%1.0"
set "STEP=part 3: VAE training, KL weight %1, %VAE_EPOCHS% epoch(s) (run_vae_training.py)"
call :banner
set "TRAINED=0"
set "EPOCHS_DONE=0"
rem epochs of a finished run there (0 if none): the same code the PDF builder uses
for /f "usebackq delims=" %%e in (`%PYTHON% -c "import sys; from lib.report.results import vae_run_epochs; print(vae_run_epochs(sys.argv[1]))" "%DIR%"`) do set "EPOCHS_DONE=%%e"
call :need "%DIR%\model.pth" "%DIR%\losses.json"
if "%NEED%"=="0" if %EPOCHS_DONE% GEQ %VAE_EPOCHS% (
    echo reusing %DIR%
    goto vae_latent
)
rem an interrupted run with this KL weight is continued (lib\report\results.py says which), else trained from the start
set "RESUMABLE=0"
if "%FORCE%"=="0" for /f "usebackq delims=" %%e in (`%PYTHON% -c "import sys; from lib.report.results import resumable_vae_run; print(int(resumable_vae_run(*sys.argv[1:])))" "%DIR%" "%~1" %VAE_EPOCHS%`) do set "RESUMABLE=%%e"
if "%RESUMABLE%"=="1" goto vae_resume
%PYTHON% run_vae_training.py --kl_loss_weight "%~1" --epochs %VAE_EPOCHS% --output_dir "%DIR%" --overwrite --quiet
set "STATUS=%ERRORLEVEL%"
goto vae_trained
:vae_resume
echo continuing the interrupted run in %DIR%
%PYTHON% run_vae_training.py --resume "%DIR%" --epochs %VAE_EPOCHS% --quiet
set "STATUS=%ERRORLEVEL%"
:vae_trained
if not "%STATUS%"=="0" exit /b 1
set "TRAINED=1"
set "ANY_VAE_TRAINED=1"
:vae_latent
set "STEP=part 3: latent space, codes and prior samples, KL weight %1 (plot_latent_space.py)"
call :banner
call :need "%DIR%\latent_space.png" "%DIR%\latent_codes.png" "%DIR%\prior_samples.png"
if "%TRAINED%"=="0" if "%NEED%"=="0" (
    echo reusing %DIR%\latent_space.png, latent_codes.png, prior_samples.png
    exit /b 0
)
%PYTHON% plot_latent_space.py --kl_loss_weight "%~1" --model_dir "%DIR%" --output_dir "%DIR%" --quiet
if errorlevel 1 exit /b 1
exit /b 0

:find_gan_run
rem the newest finished GAN run with at least GAN_EPOCHS epochs (RUN undefined if none): the builder's own code
set "RUN="
for /f "usebackq delims=" %%r in (`%PYTHON% -c "import sys; from lib.report.results import newest_gan_run; print(newest_gan_run(sys.argv[1], int(sys.argv[2])) or '')" "%ROOT%\results_gan" %GAN_EPOCHS%`) do set "RUN=%%r"
exit /b 0

:temperature
set "STEP=part 4: our generator at temperature %1 (generate_gan_images.py)"
call :banner
set "OUT=%RUN%\samples_temperature_%1.png"
call :need "%OUT%"
if "%NEED%"=="0" (
    echo reusing %OUT%
    exit /b 0
)
set "GENERATOR=%RUN%\%SAMPLE_GENERATOR%"
rem a run from before the EMA has only generator.pth
if not exist "%GENERATOR%" set "GENERATOR=%RUN%\generator.pth"
%PYTHON% generate_gan_images.py --checkpoint "%GENERATOR%" --temperature "%~1" --num_images 64 --seed %SAMPLE_SEED% --output "%OUT%" --quiet
if errorlevel 1 exit /b 1
exit /b 0
