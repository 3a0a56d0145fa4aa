"""run_all.sh: order of the steps, reuse of finished results, --force, and a clear stop at the first failure.

The real scripts train for minutes, so the test runs run_all.sh in a copy of the repository whose scripts are
stubs: each logs its command line and writes empty files where the real one writes its results. The stub of
make_submission.py checks its arguments with the real parser; the real PDF builder is tested in
test_submission.py.
"""
import json
import os
import shutil
import subprocess
import sys
import warnings

import pytest

from lib.packages import missing_package_sentence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STUB = r'''
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(" ".join([name] + sys.argv[1:]) + "\n")
if os.environ.get("STUB_FAIL") == name:
    print("error: stub failure", file=sys.stderr)
    sys.exit(int(os.environ.get("STUB_STATUS", "2")))  # 130: as if stopped by Ctrl-C
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))


def touch(*parts):
    path = os.path.join(*parts)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    open(path, "w").close()


if name == "plot_clt.py":
    touch(args["--output_dir"], "clt.png")
elif name == "plot_normal.py":
    touch(args["--output_dir"], "normal.png")
elif name == "run_vae_training.py":
    out, epochs = args.get("--output_dir", args.get("--resume")), int(args["--epochs"])
    touch(out, "model.pth")
    with open(os.path.join(out, "losses.json"), "w") as handle:
        json.dump({"epochs": list(range(1, epochs + 1))}, handle)
elif name == "plot_latent_space.py":
    for f in ("latent_space.png", "latent_codes.png", "prior_samples.png"):
        touch(args["--output_dir"], f)
elif name == "evaluate_vae.py":
    for weight in sys.argv[sys.argv.index("--kl_loss_weights") + 1:sys.argv.index("--cache_dir")]:
        touch(args["--results_root"], "results_kl{}.0".format(weight), "prior_quality.json")
elif name == "evaluate_gan.py":
    touch(args["--output"])
elif name == "run_gan_training.py":
    number = len(open(os.environ["STUB_LOG"]).readlines())  # a new folder name for every training
    run = args.get("--resume") or os.path.join(args["--output_dir"], "run_ep{}_{}".format(args["--epochs"], number))
    for f in ("samples_final.png", "generator.pth", "generator_ema.pth"):
        touch(run, f)
    with open(os.path.join(run, "history.json"), "w") as handle:
        json.dump({"epoch": list(range(1, int(args["--epochs"]) + 1))}, handle)
elif name == "generate_gan_images.py":
    assert os.path.isfile(args["--checkpoint"]), args["--checkpoint"]
    touch(args["--output"])
elif name == "make_submission.py":
    sys.path.insert(0, os.environ["REAL_ROOT"])
    from make_submission import build_parser
    parsed = build_parser().parse_args(sys.argv[1:])
    touch(parsed.output)
'''
SCRIPTS = ["plot_clt.py", "plot_normal.py", "run_vae_training.py", "plot_latent_space.py", "evaluate_vae.py",
           "run_gan_training.py", "evaluate_gan.py", "generate_gan_images.py", "make_submission.py"]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="run_all.sh needs bash")


def make_repo(tmp_path):
    """A copy of run_all.sh and lib/ with stub scripts in ``tmp_path``; returns (folder, run function, start
    function). ``start(*args, **env)`` starts run_all.sh and returns a function that waits for it and returns what
    ``run`` returns: the finished process and the stubs' command lines."""
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.copy(os.path.join(ROOT, "run_all.sh"), str(folder))
    shutil.copytree(os.path.join(ROOT, "lib"), str(folder / "lib"), ignore=shutil.ignore_patterns("__pycache__"))
    # The package check imports torch and the rest for real, seconds per run; it has a test of its own below.
    (folder / "lib" / "packages.py").write_text("")
    for script in SCRIPTS:
        (folder / script).write_text(STUB)
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "gan_model_g_2500_epochs.pth").write_text("")
    log = tmp_path / "log.txt"
    env = dict(os.environ, PYTHON=sys.executable, STUB_LOG=str(log), REAL_ROOT=ROOT, REFERENCE_DIR=str(reference),
               DATA_SOURCE=str(tmp_path / "no_data"), MNIST_ROOT=str(tmp_path / "no_mnist"))

    def start(*args, **extra_env):
        if log.exists():
            log.unlink()
        process = subprocess.Popen(["bash", str(folder / "run_all.sh")] + list(args), cwd=str(tmp_path),
                                   env=dict(env, **extra_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True)
        finished = []

        def finish():
            if not finished:
                out, err = process.communicate()
                result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
                finished.append((result, log.read_text().splitlines() if log.exists() else []))
            return finished[0]
        return finish

    def run(*args, **extra_env):
        return start(*args, **extra_env)()

    return folder, run, start


@pytest.fixture
def repo(tmp_path):
    """A copy of run_all.sh and lib/ with stub scripts; returns (folder, run function)."""
    return make_repo(tmp_path)[:2]


@pytest.fixture(scope="module", autouse=True)
def failing_run(tmp_path_factory):
    """run_all.sh --quick whose GAN training fails, in a stub repository of its own, started before the first test
    of this file: it runs on the second core while the first test runs its three; returns (folder, a function that
    waits for it and returns the finished process and the stubs' command lines)."""
    folder, _, start = make_repo(tmp_path_factory.mktemp("failing"))
    finish = start("--quick", STUB_FAIL="run_gan_training.py")
    yield folder, finish
    finish()  # where its test was not selected, it still ends before its folder may go


def test_quick_run_order_separate_root_reuse_and_force(repo):
    folder, run = repo
    result, calls = run("--quick", "--names", "A. B")
    assert result.returncode == 0, result.stderr
    assert [c.split()[0] for c in calls] == [
        "plot_clt.py", "plot_normal.py"] + ["run_vae_training.py", "plot_latent_space.py"] * 3 + [
        "evaluate_vae.py", "run_gan_training.py", "generate_gan_images.py", "evaluate_gan.py"] + [
        "generate_gan_images.py"] * 2 + ["make_submission.py"]
    assert [c.split()[2] for c in calls if c.startswith("run_vae_training.py")] == ["1", "30", "0"]
    assert "--epochs 1 " in calls[2] and "--output_dir results_quick/results_kl1.0" in calls[2]
    assert "--results_root results_quick --kl_loss_weights 1 30 0 --cache_dir results_eval" in calls[8]
    assert "--epochs 2 --output_dir results_quick/results_gan" in calls[9]
    assert "gan_model_g_2500_epochs.pth" in calls[10] and "results_quick/results_gan/reference_2500" in calls[10]
    run_dir = calls[11].split()[2]  # our run folder, then the course's generator
    assert calls[11].startswith("evaluate_gan.py --checkpoint results_quick/results_gan/run_ep2")
    assert "gan_model_g_2500_epochs.pth" in calls[11] and "--output {}/sample_quality.json".format(run_dir) in calls[11]
    assert "--temperature 0.5" in calls[12] and "--temperature 1.0" in calls[13]
    assert "--checkpoint {}/generator_ema.pth".format(run_dir) in calls[12]
    assert calls[14].startswith("make_submission.py --results_root results_quick --gan_run results_quick/results_gan/")
    assert "--output results_quick/submission.pdf" in calls[14] and calls[14].endswith("--quick")
    assert (folder / "results_quick" / "submission.pdf").exists()
    assert not (folder / "submission.pdf").exists() and not (folder / "results_kl1.0").exists()
    assert "run_all: done" in result.stdout and "quick smoke run" in result.stdout

    result, calls = run("--quick")  # everything is there: only the PDF is built again
    assert result.returncode == 0 and "Names" not in result.stderr, result.stderr  # blank names: fine for --quick
    assert [c.split()[0] for c in calls] == ["make_submission.py"]
    assert result.stdout.count("reusing") == 14

    result, calls = run("--quick", "--force")
    assert result.returncode == 0, result.stderr
    assert len(calls) == 15


def test_stops_at_the_first_failure_with_the_step_name(failing_run):
    folder, finish = failing_run
    result, calls = finish()
    assert result.returncode != 0
    assert 'run_all: FAILED in step "part 4: GAN training, 2 epoch(s) (run_gan_training.py)"' in result.stderr
    assert calls[-1].startswith("run_gan_training.py")  # nothing ran after it
    assert not (folder / "results_quick" / "submission.pdf").exists()


def test_a_hidden_package_stops_run_all_before_any_step(repo, tmp_path):
    folder, run = repo
    shutil.copy(os.path.join(ROOT, "lib", "packages.py"), str(folder / "lib" / "packages.py"))
    stub = tmp_path / "hidden" / "matplotlib"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'matplotlib'\", "
                                      "name='matplotlib')\n")
    result, calls = run("--quick", PYTHONPATH=str(tmp_path / "hidden"))
    assert (result.returncode, result.stdout, calls) == (2, "", [])
    assert result.stderr == missing_package_sentence("matplotlib") + "\n"


def test_unknown_argument(repo):
    result, calls = repo[1]("--quik")
    assert result.returncode == 2 and "unknown argument '--quik'" in result.stderr and calls == []


def test_the_results_lookups_run_all_calls_import_no_pdf_or_plotting_library(tmp_path):
    # run_all.sh asks lib.report.results which results are finished, a dozen times a run, each a fresh Python:
    # fpdf2, matplotlib and torch would cost it seconds, so the stub repository above uses the module as it is.
    # Reading a VAE run with its FD/KID file must not import them either (torch alone is 3 s of the PDF build).
    folder = tmp_path / "results_kl1.0"
    folder.mkdir()
    (folder / "losses.json").write_text(json.dumps({"epochs": [1], "test_loss": [150.0], "test_reconstruction": [
        140.0], "test_kl": [10.0]}))
    (folder / "prior_quality.json").write_text(json.dumps({"seeds": [{"fd": 40.0, "kid": 0.02}]}))
    code = ("import sys; import lib.report.results as r; run = r.load_vae_run(sys.argv[1], 1.0); "
            "assert run.prior == (40.0, 0.02), run; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'fpdf', 'matplotlib', 'torch', 'PIL'}))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    from lib.report.results import load_vae_run
    (folder / "prior_quality.json").write_text(json.dumps({"seeds": []}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's mean of nothing warns and gives nan
        assert load_vae_run(str(tmp_path), 1.0).prior is None


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
