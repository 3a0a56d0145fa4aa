"""The ways the sheet tells a student to run things: python -m tests.<file>, a missing package, the batch files."""
import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from lib.packages import PACKAGES, TEST_PACKAGES, missing_package_sentence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRY_POINT = '\n\nif __name__ == "__main__":\n    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))\n'
ROOT_SCRIPTS = sorted(os.path.basename(path) for path in glob.glob(os.path.join(ROOT, "*.py")))
BATCH_FILES = sorted(glob.glob(os.path.join(ROOT, "*.bat")))


def run(command, cwd=ROOT, hidden=None, tmp_path=None):
    """Run ``command``; with ``hidden``, a stub of that package on PYTHONPATH raises ModuleNotFoundError."""
    env = dict(os.environ)
    if hidden:
        stub = tmp_path / ("hidden_" + hidden) / hidden
        stub.mkdir(parents=True, exist_ok=True)
        (stub / "__init__.py").write_text("raise ModuleNotFoundError({!r}, name={!r})\n".format(
            "No module named {!r}".format(hidden), hidden))
        env["PYTHONPATH"] = os.pathsep.join([str(stub.parent)] + env.get("PYTHONPATH", "").split(os.pathsep))
    return subprocess.Popen(command, cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)


def finish(process, timeout=120):
    """(exit status, output) of a process started by :func:`run`."""
    output = process.communicate(timeout=timeout)[0]
    return process.returncode, output


# ----------------------------------------------------------------------------------------------------------------
# python -m tests.<file>

def test_every_test_file_runs_its_own_tests_when_started_with_python_dash_m():
    test_files = glob.glob(os.path.join(ROOT, "tests", "test_*.py"))
    assert len(test_files) >= 15
    without = [path for path in test_files if not open(path).read().endswith(ENTRY_POINT)]
    assert without == []


def test_python_dash_m_reports_passes_and_a_failure_ends_non_zero(tmp_path):
    real = run([sys.executable, "-m", "tests.test_bertrand"])
    selected = run([sys.executable, "-m", "tests.test_bertrand", "-k", "exact_probabilities or bayes"])  # as pytest
    # a copy of the same file with one deliberately wrong test, as a package of its own
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    source = open(os.path.join(ROOT, "tests", "test_bertrand.py")).read()
    wrong = "\n\ndef test_deliberately_wrong():\n    assert bertrand.exact_probabilities()['black_up'] == 0.4\n"
    (tmp_path / "tests" / "test_copy.py").write_text(source[:-len(ENTRY_POINT)] + wrong + ENTRY_POINT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    copy = subprocess.run([sys.executable, "-m", "tests.test_copy"], cwd=str(tmp_path), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    status, output = finish(real)
    passed = int(re.search(r"=+ (\d+) passed in ", output).group(1))
    assert status == 0 and passed >= 8 and "failed" not in output
    assert copy.returncode == 1
    assert re.search(r"=+ 1 failed, {} passed in ".format(passed), copy.stdout)
    assert "FAILED tests/test_copy.py::test_deliberately_wrong" in copy.stdout
    status, output = finish(selected)  # the command line's arguments reach pytest: -k picks 2 of the tests
    assert status == 0 and re.search(r"=+ 2 passed, {} deselected in ".format(passed - 2), output)


# ----------------------------------------------------------------------------------------------------------------
# The course's autograder (GitHub Classroom): one entry per test file, and the style check

def test_autograding_json_has_one_entry_per_test_file_and_the_style_check():
    with open(os.path.join(ROOT, ".github", "classroom", "autograding.json")) as handle:
        entries = json.load(handle)["tests"]
    runs = [entry["run"] for entry in entries]
    test_files = sorted(os.path.basename(path) for path in glob.glob(os.path.join(ROOT, "tests", "test_*.py")))
    # a new test file without its entry fails here, and so does an entry whose file is gone
    assert sorted(runs) == sorted(["pycodestyle --max-line-length 120 ."]
                                  + ["python -m pytest -p no:warnings tests/" + name for name in test_files])
    assert len(set(entry["name"] for entry in entries)) == len(entries)
    for entry in entries:  # Classroom's fields; its timeout counts minutes, and each entry takes seconds
        assert (entry["input"], entry["output"], entry["comparison"], entry["timeout"]) == ("", "", "included", 10)
        assert entry["points"] == 1 and entry["setup"] in ("", "python -m pip install -r requirements.txt")
    assert entries[0]["setup"] == "python -m pip install -r requirements.txt"  # Classroom installs nothing itself


# ----------------------------------------------------------------------------------------------------------------
# A missing package

def test_the_checked_packages_are_those_of_requirements_txt():
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        required = [re.match(r"[A-Za-z0-9_.-]+", line).group() for line in handle if line.strip()[:1].isalnum()]
    assert sorted(required) == sorted(list(PACKAGES) + list(TEST_PACKAGES))
    sentence = missing_package_sentence("PIL.Image")  # the import name differs from the name pip installs
    assert sentence.startswith("error: the package Pillow is missing from the Python in use ({});".format(
        sys.executable))
    assert "`pip install -r requirements.txt`" in sentence and sentence.count("\n") == 0
    assert "the package kiwisolver is missing" in missing_package_sentence("kiwisolver")  # a dependency's


def test_every_root_script_imports_lib_packages_first():
    first_imports = {}
    for name in ROOT_SCRIPTS:
        tree = ast.parse(open(os.path.join(ROOT, name)).read())
        first = next(node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
        first_imports[name] = [alias.name for alias in first.names] if isinstance(first, ast.Import) else None
    assert first_imports == {name: ["lib.packages"] for name in ROOT_SCRIPTS}


def test_a_hidden_package_ends_every_root_script_in_one_sentence(tmp_path, fake_data_dir):
    """Each script as a student starts it, with a package it needs hidden: one sentence, no traceback."""
    out = str(tmp_path / "out")
    invocations = {  # script: (arguments, hidden package)
        "benchmark.py": (["--gan_epochs", "1", "--vae_epochs", "1", "--output_dir", out], "matplotlib"),
        "evaluate_gan.py": (["--checkpoint", os.path.join(out, "generator.pth"), "--cache_dir", out], "torch"),
        "evaluate_vae.py": (["--results_root", out, "--cache_dir", out], "torch"),
        "generate_gan_images.py": (["--checkpoint", os.path.join(out, "generator.pth"), "--output",
                                    os.path.join(out, "generated.png")], "matplotlib"),
        "make_submission.py": (["--results_root", out, "--names", "A. B"], "matplotlib"),
        "plot_clt.py": (["--output_dir", out], "matplotlib"),
        "plot_latent_space.py": (["--model_dir", out, "--data_dir", fake_data_dir], "matplotlib"),
        "plot_normal.py": (["--output_dir", out], "matplotlib"),
        "prepare_data.py": (["--source", str(tmp_path / "source"), "--data_dir", out], "numpy"),  # at import time
        "run_gan_training.py": (["--epochs", "1", "--data_dir", out, "--output_dir", out], "torch"),
        "run_vae_training.py": (["--epochs", "1", "--data_dir", fake_data_dir, "--output_dir", out], "matplotlib"),
    }
    assert sorted(invocations) == ROOT_SCRIPTS  # a new root script needs its line here
    processes = {name: run([sys.executable, name] + argv, hidden=hidden, tmp_path=tmp_path)
                 for name, (argv, hidden) in invocations.items()}
    for name, process in processes.items():
        status, output = finish(process)
        assert (name, status, output) == (name, 2, missing_package_sentence(invocations[name][1]) + "\n")
    assert not os.path.exists(out)


def test_a_missing_module_of_the_project_itself_keeps_its_traceback():
    status, output = finish(run([sys.executable, "-c", "import lib.packages; import lib.no_such_module"]))
    assert status == 1 and "Traceback" in output and "No module named 'lib.no_such_module'" in output


@pytest.mark.skipif(shutil.which("bash") is None, reason="runtests.sh needs bash")
def test_runtests_stops_at_a_hidden_package_before_any_check(tmp_path):
    folder = tmp_path / "repo"
    (folder / "lib").mkdir(parents=True)
    for name in ("runtests.sh", "lib/__init__.py", "lib/packages.py"):
        shutil.copy(os.path.join(ROOT, name), str(folder / name))
    for hidden in ("vermin", "matplotlib"):  # one the tests need, one the scripts need
        status, output = finish(run(["bash", str(folder / "runtests.sh")], cwd=tmp_path, hidden=hidden,
                                    tmp_path=tmp_path))
        assert (status, output) == (2, missing_package_sentence(hidden) + "\n")


# ----------------------------------------------------------------------------------------------------------------
# The Windows batch files (checked with the batch linter blinter; no Windows machine at hand, see README)

def test_batch_files_have_windows_line_endings_and_check_the_packages_first():
    assert {"run_all.bat", "runtests.bat"} <= {os.path.basename(path) for path in BATCH_FILES}
    with open(os.path.join(ROOT, ".gitattributes")) as handle:
        assert "*.bat text eol=crlf" in handle.read().splitlines()
    for path in BATCH_FILES:
        with open(path, "rb") as handle:
            data = handle.read()
        assert data.count(b"\n") > 15 and data.count(b"\r\n") == data.count(b"\n"), path
        calls = [line for line in data.decode().splitlines() if re.match(r"(python|%PYTHON%) ", line)]
        assert calls[0].endswith(" -m lib.packages" + (" --tests" if path.endswith("runtests.bat") else "")), path


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
