"""What the test files share: small data sets in the courses' file formats (MNIST idx files, a flowers folder),
tiny GAN runs and the check of a one-sentence error."""
import glob
import gzip
import os

import numpy as np
from PIL import Image


def _idx_bytes(array):
    """An idx file of unsigned bytes: magic 0 0 8 ndim, big-endian int32 dimensions, then the data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    return header + array.tobytes()


def fake_mnist_arrays(n, seed):
    """``n`` 28 x 28 digits whose class shows as a bright bar (row 3 + 2 * label) over faint noise."""
    rng = np.random.RandomState(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = rng.randint(0, 40, size=(n, 28, 28))
    rows = 3 + 2 * labels
    images[np.arange(n)[:, None], rows[:, None], np.arange(4, 24)[None, :]] = rng.randint(180, 256, size=(n, 1))
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_fake_mnist(data_dir, n_train=512, n_test=200, gz=False):
    """Write the four MNIST files (``.gz`` only when ``gz``) into ``<data_dir>/MNIST/raw/``; returns that folder."""
    raw = os.path.join(str(data_dir), "MNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    contents = {}
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        images, labels = fake_mnist_arrays(n, seed)
        contents[prefix + "-images-idx3-ubyte"] = _idx_bytes(images)
        contents[prefix + "-labels-idx1-ubyte"] = _idx_bytes(labels)
    for name, data in contents.items():
        if gz:
            with gzip.open(os.path.join(raw, name + ".gz"), "wb") as handle:
                handle.write(data)
        else:
            with open(os.path.join(raw, name), "wb") as handle:
                handle.write(data)
    return raw


# (height, width) of the fake photos: shorter side 64 like the course's, longer side 64..100, both orientations.
SIZES = [(64, 80), (90, 64), (64, 64), (64, 100), (70, 64), (64, 77), (64, 64), (100, 64), (64, 91), (66, 64)]


def make_flower_folder(root, count=10, sizes=SIZES, seed=0):
    """Write ``count`` random RGB PNGs into ``root/{train,val}/{1,2}/`` (the course's nesting); returns root."""
    rng = np.random.RandomState(seed)
    for k in range(count):
        folder = os.path.join(str(root), ("train", "val")[k % 2], str(1 + (k // 2) % 2))
        os.makedirs(folder, exist_ok=True)
        height, width = sizes[k % len(sizes)]
        pixels = rng.randint(0, 256, (height, width, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, "image_{:04d}.png".format(k)))
    return str(root)


# ----------------------------------------------------------------------------------------------------------------
# Tiny runs of the GAN script, and the check of a mistake's one sentence, shared by the GAN's test files. Torch and
# the scripts are imported inside the functions: the test files that need neither import this module too.

TINY_GAN = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def train_tiny_gan(flowers, output_dir, *extra):
    """run_gan_training.main on 8 images, batch 4 (2 updates per epoch), tiny networks, 1 epoch unless ``extra``
    says otherwise; returns the new run folder."""
    import run_gan_training
    before = set(glob.glob(os.path.join(str(output_dir), "run_*")))
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir), "--epochs", "1"] + TINY_GAN
                          + list(extra))
    (run_dir,) = set(glob.glob(os.path.join(str(output_dir), "run_*"))) - before
    return run_dir


def gan_weights(run_dir):
    """The generator's and the discriminator's state dicts a GAN run wrote."""
    from lib.utils.checkpoints import load_checkpoint
    return [load_checkpoint(os.path.join(run_dir, name), "") for name in ("generator.pth", "discriminator.pth")]


def assert_same_weights(a, b):
    """Two lists of state dicts hold the same keys and bit-identical tensors."""
    import torch
    for state_a, state_b in zip(a, b):
        assert state_a.keys() == state_b.keys()
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def user_error(capsys, main, argv):
    """Run a script's ``main`` as ``python script.py argv`` would; check exit status 2 and no traceback, and return
    what it wrote to stderr."""
    import pytest
    from lib.utils.errors import run_main
    with pytest.raises(SystemExit) as stopped:
        run_main(main, argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    return err


def start_and_terminate(argv, written, cwd):
    """Run a script as its own process in ``cwd``, send it SIGTERM once a file ``written`` (a glob) exists: it is
    training. Returns its exit status, stdout and stderr."""
    return terminate_once_written(start_script(argv, cwd), written)


def start_script(argv, cwd):
    """Start ``python argv`` as its own process in ``cwd`` (the repository on its path, headless, output piped) and
    return it at once: the caller can do its own slow work (importing torch) while the script starts."""
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.Popen([sys.executable] + argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, env=dict(os.environ, PYTHONPATH=root, MPLBACKEND="Agg"))


def terminate_once_written(process, written):
    """Send a process of :func:`start_script` SIGTERM once a file ``written`` (a glob) exists, checking it is still
    running then; returns its exit status, stdout and stderr."""
    import signal
    import time
    deadline = time.time() + 120
    while not glob.glob(written) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def one_sentence_error(capsys, script, argv):
    """Run a script's main as ``python script.py argv`` would; return its stderr, checking status 2, no
    traceback and one error sentence, the last line."""
    import pytest
    from lib.utils.errors import run_main
    with pytest.raises(SystemExit) as exit_info:
        run_main(script.main, [str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "error: " in line] == [err.splitlines()[-1]]  # one sentence, last
    return err


def run_script(*argv, **kwargs):
    """Run ``python argv`` in the repository root, headless; returns the finished process."""
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, MPLBACKEND="", DISPLAY="")  # headless, and no backend chosen for the scripts
    return subprocess.run([sys.executable] + [str(a) for a in argv], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, **kwargs)


def one_sentence(capsys, main, argv):
    """Like :func:`user_error`, and stderr holds the word error once: one sentence, no second complaint."""
    import pytest
    from lib.utils.errors import run_main
    with pytest.raises(SystemExit) as stopped:
        run_main(main, argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err and err.count("error") == 1
    return err


# ----------------------------------------------------------------------------------------------------------------
# A test's own imports while a script it started runs: the script's start (torch, its dynamo, matplotlib) takes
# seconds of one core, and the test needs the same imports afterwards; made in a thread, they use the other core.

def in_background(function):
    """Start ``function()`` in a thread; returns a future whose ``result()`` waits for it and raises what it raised.

    The main thread waiting on a pipe, in ``communicate`` or in ``time.sleep`` leaves the interpreter to it.
    """
    import concurrent.futures
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = executor.submit(function)
    executor.shutdown(wait=False)
    return future


def warm_up_vae_training():
    """Make the imports a VAE run makes on first use: torch, and the dynamo its Adam imports at its first step.
    Nothing is written and no random number is drawn. Garbage collection is off meanwhile, as in conftest while
    the test modules are imported, and what was imported is frozen: collections would walk torch's objects again
    and again."""
    import gc
    gc.disable()
    try:
        import torch
        from lib.train_vae import make_adam
        weight = torch.zeros(2, requires_grad=True)
        optimizer = make_adam([weight], 1e-3)
        weight.sum().backward()
        optimizer.step()
    finally:
        gc.freeze()
        gc.enable()


# ----------------------------------------------------------------------------------------------------------------
# Less work where a test checks something else

def skip_loss_plots(monkeypatch):
    """Make GAN and VAE runs note the loss plot they would draw (losses.png, loss_curve.png) instead of drawing it,
    for tests that never look at it: the plot costs matplotlib's import and first figure (2 s of the 10 s a test
    file has on the 2-core machine) and 0.4 to 0.7 s a run after that. Returns the list of paths the runs asked
    for, in order."""
    import lib.gan_run_folder
    import lib.train_vae
    asked = []
    monkeypatch.setattr(lib.gan_run_folder, "plot_history", lambda history, path: asked.append(path))
    monkeypatch.setattr(lib.train_vae, "plot_losses", lambda history, path=None: asked.append(path))
    return asked


def skip_latent_figures(monkeypatch):
    """Make plot_latent_space.py note what it would draw instead of drawing it, for tests of what it reads: its two
    figures take 3 s on the 2-core machine. Returns a list of ``(model, title)``, one per figure drawn."""
    import lib.explore_latent_space
    drawn = []

    def note_latent_space(model, test_loader, device="cpu", output_dir="results", grid_size=None, title=None):
        drawn.append((model, title))

    def note_codes_and_prior(model, test_loader, device="cpu", output_dir="results", title=""):
        drawn.append((model, title))
    monkeypatch.setattr(lib.explore_latent_space, "plot_latent_space", note_latent_space)
    monkeypatch.setattr(lib.explore_latent_space, "plot_codes_and_prior", note_codes_and_prior)
    return drawn


def few_standing_batches(monkeypatch, batches=2):
    """Estimate standing statistics over ``batches`` batches instead of lib.gan_sampling.STANDING_BATCHES (100,
    3 s for a tiny generator on the 2-core machine), for tests of something else that sample in standing mode.
    The default is bound when the function is defined, so both modules' names of the function are replaced."""
    import functools
    import lib.evaluation.gan
    import lib.gan_sampling
    fewer = functools.partial(lib.gan_sampling.with_standing_statistics, batches=batches)
    for module in (lib.gan_sampling, lib.evaluation.gan):
        monkeypatch.setattr(module, "with_standing_statistics", fewer)
