"""The GPU paths proven on a CPU: CUDA-only states (a CUDA generator's state, a compute capability, a GPU without
kernels, a failed compile, a device-side assert) are fabricated or patched, so each fix is tested everywhere.
(Sections 5 to 7, resumed runs and --compile: test_gpu_paths_resume.py.)"""
import glob
import os
import sys

import pytest
import torch
import torchvision  # noqa: F401 (the runs below import it; here, while conftest keeps garbage collection off, 1 s sooner)
from torch import nn

import lib.train_gan as train_gan_module
import lib.utils.devices as devices
import run_gan_training
from lib.flowers import FlowersInMemory
from lib.mnist import mnist_loaders
from lib.model_gan import Discriminator
from lib.utils.checkpoints import load_checkpoint
from lib.utils.devices import has_fast_bfloat16, pick_device
from lib.utils.errors import UserError, run_main
from lib.utils.files import save_torch
from tests.fakes import skip_loss_plots

TINY = ["--ngf", "4", "--ndf", "4", "--batch_size", "4", "--device", "cpu", "--quiet"]


def train(flowers, output_dir, *extra):
    """run_gan_training.main on 8 images, batch 4, tiny networks, 1 epoch unless ``extra`` says otherwise."""
    run_gan_training.main(["--data_dir", flowers, "--output_dir", str(output_dir), "--epochs", "1"] + TINY
                          + list(extra))
    (run_dir,) = glob.glob(os.path.join(str(output_dir), "run_*"))
    return run_dir


@pytest.fixture(autouse=True)
def no_loss_plots(monkeypatch):
    """No test here looks at losses.png: its runs skip drawing it (matplotlib's import alone is 1 s)."""
    skip_loss_plots(monkeypatch)


def checkpoint_of(run_dir):
    return load_checkpoint(os.path.join(run_dir, "checkpoint.pth"), "")


def same_weights(run_a, run_b):
    a, b = checkpoint_of(run_a), checkpoint_of(run_b)
    return all(torch.equal(a[net][k], b[net][k]) for net in ("generator", "discriminator") for k in a[net])


def user_error(capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        run_main(run_gan_training.main, argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err and err.count("error: ") == 1
    return err


# ----------------------------------------------------------------------------------------------------------------
# 1. The data order is drawn on the CPU whatever the device, so a checkpoint resumes on any device

def test_flowers_randomness_comes_from_a_cpu_generator_on_any_device(flowers):
    """'meta' stands in for a GPU: the draws must come from the CPU generator and be applied on the device."""
    on_cpu, elsewhere = FlowersInMemory(flowers, 32, "cpu"), FlowersInMemory(flowers, 32, "meta")
    generators = [torch.Generator().manual_seed(5) for _ in range(2)]
    batches = elsewhere.epoch(4, generators[1])
    assert [tuple(b.shape) for b in batches] == [(4, 3, 32, 32)] * 2 and batches[0].device.type == "meta"
    on_cpu.epoch(4, generators[0])
    assert torch.equal(generators[0].get_state(), generators[1].get_state())  # the same draws on both


def test_checkpoint_with_the_data_state_of_a_cuda_generator_resumes_on_the_cpu(flowers, tmp_path, capsys):
    run_dir = train(flowers, tmp_path / "out")
    checkpoint = checkpoint_of(run_dir)
    assert checkpoint["rng"]["data"].numel() == torch.Generator().get_state().numel()  # a CPU generator's state
    checkpoint["rng"]["data"] = torch.zeros(16, dtype=torch.uint8)  # what an older version wrote on a GPU
    save_torch(checkpoint, os.path.join(run_dir, "checkpoint.pth"))
    run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cpu", "--quiet"])
    assert "the checkpoint holds the data order of a GPU" in capsys.readouterr().out
    assert checkpoint_of(run_dir)["epoch"] == 2


# ----------------------------------------------------------------------------------------------------------------
# 3. The GAN's BCE: nn.BCELoss's values and gradients, but a NaN gives a NaN loss instead of an assert

def test_bce_equals_nn_bceloss_bit_for_bit():
    generator = torch.Generator().manual_seed(0)
    for trial in range(60):
        n = int(torch.randint(1, 300, (), generator=generator))
        probabilities = torch.rand(n, generator=generator)
        probabilities[torch.rand(n, generator=generator) < 0.05] = 0.0  # where the log is clamped at -100
        probabilities[torch.rand(n, generator=generator) < 0.05] = 1.0
        target = torch.rand(n, generator=generator) if trial % 3 == 0 else (torch.rand(n, generator=generator) < .5)
        target = target.float()
        losses, gradients = [], []
        for loss_function in (nn.BCELoss(), train_gan_module._bce):
            p = probabilities.clone().requires_grad_()
            loss = loss_function(p, target)
            losses.append(loss)
            gradients.append(torch.autograd.grad(loss, p)[0])
        assert torch.equal(losses[0], losses[1]) and torch.equal(gradients[0], gradients[1])
    for trial in range(200):  # D's outputs in a GAN step: sigmoids against all-ones or all-zeros labels
        probabilities = torch.sigmoid(3 * torch.randn(128, generator=generator))
        target = torch.full((128,), float(trial % 2))
        # a loss written with torch.log / torch.log1p differed from nn.BCELoss by one ulp in 2 of these 200
        assert torch.equal(nn.BCELoss()(probabilities, target), train_gan_module._bce(probabilities, target))
    nan = train_gan_module._bce(torch.tensor([0.5, float("nan")]), torch.ones(2))
    assert torch.isnan(nan)  # nn.BCELoss raises here, and on a GPU fails a device-side assert


def test_nan_probabilities_end_in_the_sentence_even_where_bceloss_would_assert(flowers, tmp_path, capsys, monkeypatch):
    bce = torch.nn.functional.binary_cross_entropy

    def device_side_assert(input, target, *args, **kwargs):  # BCE's range check as a GPU does it: a NaN asserts
        if not bool(((input >= 0) & (input <= 1)).all()):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return bce(input, target, *args, **kwargs)
    monkeypatch.setattr(torch.nn.functional, "binary_cross_entropy", device_side_assert)
    calls, original = [], train_gan_module._d_probabilities

    def nan_in_epoch_2(discriminator, images, autocast):
        output = original(discriminator, images, autocast)
        calls.append(1)
        return output * float("nan") if len(calls) > 6 else output  # 3 calls per update, 2 updates per epoch
    monkeypatch.setattr(train_gan_module, "_d_probabilities", nan_in_epoch_2)
    err = user_error(capsys, ["--data_dir", flowers, "--output_dir", str(tmp_path), "--epochs", "3",
                              "--checkpoint_every", "1"] + TINY)
    (run_dir,) = glob.glob(str(tmp_path / "run_*"))
    assert "the loss became NaN or infinite in epoch 2, so training stopped; the last good checkpoint {} (end of " \
        "epoch 1) is kept".format(os.path.join(run_dir, "checkpoint.pth")) in err


# ----------------------------------------------------------------------------------------------------------------
# 4. bfloat16 on a GPU needs compute capability 8, asked of the chosen device

@pytest.mark.parametrize("capability, fast", [((7, 5), False), ((7, 0), False), ((8, 0), True), ((9, 0), True)])
def test_bf16_on_a_gpu_needs_compute_capability_8(monkeypatch, capability, fast):
    asked = []
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)  # says True on a T4
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: asked.append(device) or capability)
    assert has_fast_bfloat16(torch.device("cuda:1")) == fast and asked == [torch.device("cuda:1")]


def test_bf16_on_a_t4_is_refused_in_one_sentence(monkeypatch, flowers):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla T4")
    args = run_gan_training.parse_training_args(["--data_dir", flowers, "--bf16", "--device", "cpu"])
    with pytest.raises(UserError, match=r"Tesla T4, compute capability 7\.5\) has no bfloat16 arithmetic .* "
                                        r"leave --bf16 out"):
        train_gan_module.check_settings(args, torch.device("cuda:0"))


# ----------------------------------------------------------------------------------------------------------------
# 8. An unusable GPU is found by a tiny kernel when the device is picked

def fake_gpu(monkeypatch, failure, name="Tesla K80", capability=(3, 7)):
    monkeypatch.setattr(devices, "_CUDA_CHECKED", {})
    monkeypatch.setattr(devices, "_WARNED", set())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: ["sm_50", "sm_80", "sm_90"])

    def kernels(device):
        raise RuntimeError(failure)
    monkeypatch.setattr(devices, "_run_tiny_kernels", kernels)


def test_gpu_without_kernels_for_this_build(monkeypatch, capsys):
    fake_gpu(monkeypatch, "CUDA error: no kernel image is available for execution on the device\nCUDA kernel "
                          "errors might be asynchronously reported")
    with pytest.raises(UserError) as refused:
        pick_device("cuda")
    assert str(refused.value) == ("the GPU cuda (Tesla K80, compute capability 3.7) is not supported by this "
                                  "PyTorch build (no kernel image for it, it supports sm_50 sm_80 sm_90); install a "
                                  "PyTorch build for this GPU; use --device cpu")
    assert pick_device("auto") == torch.device("cpu")
    assert pick_device("auto") == torch.device("cpu")
    err = capsys.readouterr().err
    assert err.count("warning: the GPU cuda (Tesla K80") == 1 and "--device auto trains on the CPU instead" in err


@pytest.mark.parametrize("failure", ["CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
                                     "cuDNN error: CUDNN_STATUS_NOT_INITIALIZED",
                                     "CUDA out of memory. Tried to allocate 2.00 MiB"])
def test_gpu_whose_memory_another_process_holds(monkeypatch, failure):
    fake_gpu(monkeypatch, failure, "NVIDIA A100", (8, 0))
    with pytest.raises(UserError, match=r"the GPU cuda:0 \(NVIDIA A100, compute capability 8\.0\) has no free "
                                        r"memory \(check with nvidia-smi whether another process holds it\); use "
                                        r"--device cpu"):
        pick_device("cuda:0")


@pytest.mark.parametrize("failure", ["CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
                                     "cuDNN error: CUDNN_STATUS_ALLOC_FAILED",
                                     "CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 15.77 GiB total)"])
def test_running_out_of_gpu_memory_while_training_is_one_sentence(capsys, failure):
    def main(argv):
        raise RuntimeError(failure)
    with pytest.raises(SystemExit) as stopped:
        run_main(main)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.startswith("error: out of memory ({}".format(failure[:40]))
    assert "another process holds the GPU's memory, or use --device cpu" in err and "Traceback" not in err


# ----------------------------------------------------------------------------------------------------------------
# 9. D's last layer and sigmoid stay float32 under autocast

def test_discriminator_output_is_float32_under_bfloat16_autocast():
    torch.manual_seed(0)
    discriminator = Discriminator(4).eval()  # running statistics: every image is scored on its own
    images = (torch.rand(1, 3, 32, 32) * 2 - 1).expand(8, 3, 32, 32)
    with torch.no_grad():
        logit = discriminator.layers[-2](nn.Sequential(*discriminator.layers[:-2])(images))[0].item()
        discriminator.layers[-2].weight *= 8 / logit  # a logit of 8: sigmoid 0.99966, which bfloat16 rounds to 1
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = discriminator(images).view(-1)
    assert output.dtype == torch.float32
    assert ((output > 0.999) & (output < 1)).all()  # not saturated: the loss and its gradient stay finite
    assert list(discriminator.state_dict())[-1] == "layers.8.weight"  # the course's keys are unchanged


# ----------------------------------------------------------------------------------------------------------------
# 10, 11. Pinned memory for CUDA DataLoaders; what --seed promises

def test_per_sample_loaders_pin_memory_for_a_cuda_device(fake_data_dir):
    for device, pinned in (("cuda", True), ("cpu", False)):
        loaders = mnist_loaders(64, fake_data_dir, device, per_sample=True, shuffle_seed=0, download=False)
        assert [loader.pin_memory for loader in loaders] == [pinned, pinned]


def test_seed_help_says_gpu_runs_are_not_bit_reproducible():
    text = " ".join(run_gan_training.build_parser().format_help().split())
    assert "the same seed repeats a run bit for bit on the same CPU" in text
    assert "GPU runs are not bit-reproducible" in text


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
