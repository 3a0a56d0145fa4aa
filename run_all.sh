#!/usr/bin/env bash
# The whole exercise in one command: part 2 figures, the VAE and its latent space for KL weights 1, 30 and 0,
# FD/KID of the VAEs' prior samples, the GAN (500 epochs), samples of the course's 2500-epoch generator, FD/KID
# of both generators, temperature samples of our own generator, and submission.pdf built from all of it.
#
#   ./run_all.sh                  full run into the repository root; writes submission.pdf
#   ./run_all.sh --quick          smoke run (VAE 1 epoch, GAN 2 epochs) into results_quick/; writes
#                                 results_quick/submission.pdf, marked as a quick run on every page
#   ./run_all.sh --force          train and draw again even where finished results exist
#   ./run_all.sh --names "A, B"   names for the title page of the PDF
#
# Finished results are reused and an interrupted training is continued from its checkpoint, so after an
# interruption the same command goes on where it stopped. Environment: PYTHON (default python), DATA_SOURCE
# (offline data for prepare_data.py, default ../shared/datasets), REFERENCE_DIR (the course's reference files,
# default ../shared/reference), MNIST_ROOT and FLOWERS_ROOT as in the README; --quick sets OMP_NUM_THREADS=1
# unless it is set.
set -Eeuo pipefail
cd "$(dirname "$0")"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

QUICK=0
FORCE=0
NAMES=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --force) FORCE=1 ;;
        --names)
            if [ $# -lt 2 ]; then echo "run_all: --names needs a value, e.g. --names \"A, B\"" >&2; exit 2; fi
            NAMES="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_all: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

PYTHON="${PYTHON:-python}"
"$PYTHON" -m lib.packages  # a package missing from this Python ends here, in one sentence that names it
DATA_SOURCE="${DATA_SOURCE:-../shared/datasets}"
REFERENCE_DIR="${REFERENCE_DIR:-../shared/reference}"
KL_WEIGHTS="1 30 0"
# T = 1 is the prior the generator was trained on; T = 0.5 shrinks the codes towards its centre. The same seed
# for both draws the same directions in latent space, so the two grids differ only by the temperature.
TEMPERATURES="0.5 1.0"
SAMPLE_SEED=0
# The temperature grids come from the moving average of our generator, the better one by FD/KID (README).
SAMPLE_GENERATOR=generator_ema.pth
# The feature classifiers of evaluate_vae.py and evaluate_gan.py are trained once and shared by full and quick runs.
EVAL_CACHE="${EVAL_CACHE:-results_eval}"
if [ "$QUICK" -eq 1 ]; then
    # a separate root, so quick results never mix with, or overwrite, the full ones
    ROOT=results_quick; VAE_EPOCHS=1; GAN_EPOCHS=2; PDF=results_quick/submission.pdf; MARK=--quick
    EVAL_SEEDS=1  # one sampling seed for FD/KID: the numbers of a smoke run only show that the step works
    # One thread per process: these small models gain little from a second one, and on a busy 2-core machine
    # two OpenMP threads that wait on each other made an epoch 3-4 times slower (measured). Set it to override.
    export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
else
    ROOT=.; VAE_EPOCHS=15; GAN_EPOCHS=500; PDF=submission.pdf; MARK=; EVAL_SEEDS=3
fi
export MPLBACKEND=Agg
mkdir -p "$ROOT"

STEP="start"
failed() {
    echo >&2
    if [ "$1" -eq 130 ] || [ "$1" -eq 143 ]; then  # Ctrl-C or SIGTERM: the training scripts wrote a checkpoint
        echo "run_all: step \"$STEP\" was interrupted. Finished steps and the training's checkpoint are kept: run" \
            "the same command again to continue from there." >&2
    else
        echo "run_all: FAILED in step \"$STEP\" (see the messages above). Finished steps are kept: fix the cause" \
            "and run the same command again." >&2
    fi
}
trap 'failed $?' ERR
STARTED=$(date +%s)
step() { STEP="$1"; echo; echo "== [$(date +%H:%M:%S)] $1"; }

# True when every named file exists and --force was not given.
have() {
    if [ "$FORCE" -eq 1 ]; then return 1; fi
    for f in "$@"; do [ -e "$f" ] || return 1; done
}
reuse() { echo "reusing $1 (--force trains and draws again)"; }
# Epochs a finished VAE run in folder $1 has trained (0 if none), and the newest finished GAN run with at least
# $GAN_EPOCHS epochs under $ROOT/results_gan (empty if none): the same code the PDF builder uses.
vae_epochs() { "$PYTHON" -c "import sys; from lib.report.results import vae_run_epochs; print(vae_run_epochs(sys.argv[1]))" "$1"; }
gan_run() { "$PYTHON" -c "import sys; from lib.report.results import newest_gan_run; print(newest_gan_run(sys.argv[1], int(sys.argv[2])) or '')" "$ROOT/results_gan" "$GAN_EPOCHS"; }
# An interrupted run to continue rather than start again (lib/report/results.py says which): 1 or 0 for the VAE
# folder $1 with KL weight $2, the GAN run folder or empty.
vae_resumable() { "$PYTHON" -c "import sys; from lib.report.results import resumable_vae_run; print(int(resumable_vae_run(*sys.argv[1:])))" "$1" "$2" "$VAE_EPOCHS"; }
gan_resumable() { "$PYTHON" -c "import sys; from lib.report.results import resumable_gan_run; print(resumable_gan_run(*sys.argv[1:]) or '')" "$ROOT/results_gan" "$GAN_EPOCHS"; }

step "data"
if [ ! -f "${MNIST_ROOT:-data}/MNIST/raw/train-images-idx3-ubyte" ] || [ ! -d "${FLOWERS_ROOT:-dataset_flowers_64px}/train" ]; then
    if [ -f prepare_data.py ] && [ -d "$DATA_SOURCE" ]; then
        "$PYTHON" prepare_data.py --source "$DATA_SOURCE"
    else
        echo "data incomplete and no offline copy in $DATA_SOURCE: torchvision downloads MNIST when there is internet; the flowers go into dataset_flowers_64px/ (see README, Data)"
    fi
else
    echo "MNIST and flowers are in place"
fi

step "part 2: central limit theorem (plot_clt.py)"
if have "$ROOT/results_distributions/clt.png"; then reuse "$ROOT/results_distributions/clt.png"; else
    "$PYTHON" plot_clt.py --output_dir "$ROOT/results_distributions" --quiet
fi
step "part 2: normal distribution from uniform samples (plot_normal.py)"
if have "$ROOT/results_distributions/normal.png"; then reuse "$ROOT/results_distributions/normal.png"; else
    "$PYTHON" plot_normal.py --output_dir "$ROOT/results_distributions" --quiet
fi

ANY_VAE_TRAINED=0
for W in $KL_WEIGHTS; do
    DIR="$ROOT/results_kl$W.0"
    step "part 3: VAE training, KL weight $W, $VAE_EPOCHS epoch(s) (run_vae_training.py)"
    TRAINED=0
    if have "$DIR/model.pth" "$DIR/losses.json" && [ "$(vae_epochs "$DIR")" -ge "$VAE_EPOCHS" ]; then
        reuse "$DIR"
    elif [ "$FORCE" -eq 0 ] && [ "$(vae_resumable "$DIR" "$W")" -eq 1 ]; then
        echo "continuing the interrupted run in $DIR"
        "$PYTHON" run_vae_training.py --resume "$DIR" --epochs "$VAE_EPOCHS" --quiet
        TRAINED=1
        ANY_VAE_TRAINED=1
    else
        "$PYTHON" run_vae_training.py --kl_loss_weight "$W" --epochs "$VAE_EPOCHS" --output_dir "$DIR" --overwrite --quiet
        TRAINED=1
        ANY_VAE_TRAINED=1
    fi
    step "part 3: latent space, codes and prior samples, KL weight $W (plot_latent_space.py)"
    if [ "$TRAINED" -eq 0 ] && have "$DIR/latent_space.png" "$DIR/latent_codes.png" "$DIR/prior_samples.png"; then
        reuse "$DIR/latent_space.png, latent_codes.png, prior_samples.png"
    else
        "$PYTHON" plot_latent_space.py --kl_loss_weight "$W" --model_dir "$DIR" --output_dir "$DIR" --quiet
    fi
done

step "part 3: FD/KID of prior samples for every KL weight (evaluate_vae.py)"
QUALITY=()
for W in $KL_WEIGHTS; do QUALITY+=("$ROOT/results_kl$W.0/prior_quality.json"); done
if [ "$ANY_VAE_TRAINED" -eq 0 ] && have "${QUALITY[@]}"; then reuse "results_kl*/prior_quality.json"; else
    # shellcheck disable=SC2086
    "$PYTHON" evaluate_vae.py --results_root "$ROOT" --kl_loss_weights $KL_WEIGHTS --cache_dir "$EVAL_CACHE" \
        --seeds "$EVAL_SEEDS" --quiet
fi

step "part 4: GAN training, $GAN_EPOCHS epoch(s) (run_gan_training.py)"
RUN="$(gan_run)"
if [ "$FORCE" -eq 0 ] && [ -n "$RUN" ]; then reuse "$RUN"; else
    PARTIAL=""
    if [ "$FORCE" -eq 0 ]; then PARTIAL="$(gan_resumable)"; fi
    if [ -n "$PARTIAL" ]; then
        echo "continuing the interrupted run $PARTIAL"
        "$PYTHON" run_gan_training.py --resume "$PARTIAL" --epochs "$GAN_EPOCHS" --quiet
    else
        "$PYTHON" run_gan_training.py --epochs "$GAN_EPOCHS" --output_dir "$ROOT/results_gan" --quiet
    fi
    RUN="$(gan_run)"
    if [ -z "$RUN" ]; then echo "run_all: the GAN training ended without a finished run in $ROOT/results_gan" >&2; false; fi
fi

step "part 4: samples of the course's 2500-epoch generator (kept in results, never put into the PDF)"
REFERENCE_CHECKPOINT="$REFERENCE_DIR/gan_model_g_2500_epochs.pth"
OUT="$ROOT/results_gan/reference_2500_epochs_T1.0.png"
if [ ! -f "$REFERENCE_CHECKPOINT" ]; then echo "skipped: $REFERENCE_CHECKPOINT is not available"
elif have "$OUT"; then reuse "$OUT"; else
    "$PYTHON" generate_gan_images.py --checkpoint "$REFERENCE_CHECKPOINT" --temperature 1.0 --num_images 64 \
        --seed "$SAMPLE_SEED" --output "$OUT" --quiet
fi

step "part 4: FD/KID of our generator (raw and EMA) and the course's (evaluate_gan.py)"
OUT="$RUN/sample_quality.json"
if have "$OUT"; then reuse "$OUT"; else
    CHECKPOINTS=(--checkpoint "$RUN")
    if [ -f "$REFERENCE_CHECKPOINT" ]; then CHECKPOINTS+=(--checkpoint "$REFERENCE_CHECKPOINT"); fi
    "$PYTHON" evaluate_gan.py "${CHECKPOINTS[@]}" --cache_dir "$EVAL_CACHE" --seeds "$EVAL_SEEDS" --output "$OUT" \
        --quiet
fi

for T in $TEMPERATURES; do
    step "part 4: our generator at temperature $T (generate_gan_images.py)"
    OUT="$RUN/samples_temperature_$T.png"
    if have "$OUT"; then reuse "$OUT"; else
        GENERATOR="$RUN/$SAMPLE_GENERATOR"
        if [ ! -f "$GENERATOR" ]; then GENERATOR="$RUN/generator.pth"; fi  # a run from before the EMA
        "$PYTHON" generate_gan_images.py --checkpoint "$GENERATOR" --temperature "$T" --num_images 64 \
            --seed "$SAMPLE_SEED" --output "$OUT" --quiet
    fi
done

step "submission PDF (make_submission.py)"
"$PYTHON" make_submission.py --results_root "$ROOT" --gan_run "$RUN" --output "$PDF" --names "$NAMES" \
    --reference_dir "$REFERENCE_DIR" $MARK

echo
if [ "$QUICK" -eq 1 ]; then KIND="quick smoke run, not the exercise's results"; else KIND="full run"; fi
echo "run_all: done in $(( $(date +%s) - STARTED )) s; wrote $PDF ($KIND)"
if [ "$QUICK" -eq 0 ] && [ -z "$NAMES" ]; then  # the sheet requires the names; a quick run is never handed in
    echo "run_all: warning: $PDF has a blank Names line, but the PDF must name its submitters; add them with" \
        "./run_all.sh --names \"A. B, C. D\" (it reuses every finished result and builds only the PDF again)" >&2
fi
