"""Name a package missing from the Python in use in one sentence, with the command that installs it.

Every root script imports this module before anything else (``import lib.packages  # noqa: F401 ...``).
Importing it replaces the traceback of a ModuleNotFoundError for a package from outside this repository,
raised at import time or later, with one sentence naming the package and ``pip install -r requirements.txt``,
and exit status 2 like every other mistake a user can fix. A missing module of the repository itself is a bug
and keeps its traceback. A Ctrl-C that no script handles itself (say, while torch is imported or a figure is
written) ends in one line and exit status 130, the shell's status for Ctrl-C, instead of a traceback.

``python -m lib.packages [--tests]`` imports every package the scripts (and the tests) need, so run_all and
runtests stop with that sentence before their first step. Standard library only, so it works before anything
is installed.
"""
import importlib
import os
import sys

# requirement names of requirements.txt -> the names Python imports them by
PACKAGES = {"numpy": "numpy", "scipy": "scipy", "matplotlib": "matplotlib", "torch": "torch",
            "torchvision": "torchvision", "Pillow": "PIL", "tqdm": "tqdm", "pypdf": "pypdf", "fpdf2": "fpdf"}
TEST_PACKAGES = {"pytest": "pytest", "pycodestyle": "pycodestyle", "vermin": "vermin"}
REQUIREMENT_OF = {imported: name for name, imported in list(PACKAGES.items()) + list(TEST_PACKAGES.items())}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def missing_package_sentence(module):
    """The one sentence for a missing ``module`` (an import name such as 'PIL.Image'), naming its package."""
    top = module.split(".")[0]
    package = REQUIREMENT_OF.get(top, top)  # a package's dependency goes by its own name
    python = '"{}"'.format(sys.executable) if " " in sys.executable else sys.executable
    return ("error: the package {} is missing from the Python in use ({}); run `pip install -r "
            "requirements.txt` with that Python's pip: {} -m pip install -r requirements.txt".format(
                package, sys.executable, python))


def _is_outside_package(err):
    """Whether ``err`` is a ModuleNotFoundError for a module that is not part of this repository."""
    if not isinstance(err, ModuleNotFoundError) or not err.name:
        return False
    top = err.name.split(".")[0]
    return not (os.path.exists(os.path.join(ROOT, top)) or os.path.exists(os.path.join(ROOT, top + ".py")))


# Every file is written through lib.utils.files.atomic_path (a temporary name, renamed when complete) and
# prepare_data.py copies folders the same way, so an interrupt at any moment leaves no partial file behind
# (tests/test_interrupts.py).
INTERRUPTED = ("interrupted (Ctrl-C); no file was left half-written (each is written under a temporary name and "
               "renamed when complete)")


def _excepthook(kind, err, traceback, previous=sys.excepthook):
    """sys.excepthook: one line for Ctrl-C (exit status 130), the sentence and exit status 2 for a missing outside
    package, else the usual traceback."""
    if isinstance(err, KeyboardInterrupt):
        print("\n" + INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    if not _is_outside_package(err):
        return previous(kind, err, traceback)
    print(missing_package_sentence(err.name), file=sys.stderr)
    sys.exit(2)  # a SystemExit raised by the hook sets the exit status (tested on 3.8 and 3.11)


sys.excepthook = _excepthook


def import_all(tests=False):
    """Import the packages the tests need (if ``tests``) and those the scripts need; a missing one ends in the
    sentence."""
    for module in (list(TEST_PACKAGES.values()) if tests else []) + list(PACKAGES.values()):
        importlib.import_module(module)


if __name__ == "__main__":
    import_all(tests="--tests" in sys.argv[1:])
