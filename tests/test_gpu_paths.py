"""What only a GPU would show, shown on the CPU with the GPU's state made up: an unusable GPU, bfloat16 below
compute capability 8, a checkpoint's CUDA random stream, the device picked once, --compile failing, bfloat16 D."""
import contextlib
import os
import sys

import pytest
import torch

import lib.train_gan
import lib.utils.devices as devices
import run_gan_training
from lib.model_gan import Discriminator
from lib.utils.checkpoints import random_state, restore_random_state
from lib.utils.devices import has_fast_bfloat16, pick_device
from lib.utils.errors import UserError, run_main
from tests.fakes import TINY_GAN, one_sentence, train_tiny_gan


def fake_gpu(monkeypatch, failure=None, capability=(8, 0)):
    """torch says there is one CUDA GPU of ``capability``; running a kernel on it raises ``failure``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(devices, "cuda_problem", lambda device: "" if failure is None else
                        "the GPU {} cannot run PyTorch's kernels ({})".format(device, failure))


def test_a_gpu_that_cannot_run_kernels_is_named_and_auto_takes_the_cpu(monkeypatch, capsys):
    real_ones = torch.ones

    def ones_failing_on_the_gpu(*size, device=None, **kwargs):
        if device is not None and torch.device(device).type == "cuda":
            raise RuntimeError("CUDA error: no kernel image is available for execution on the device")
        return real_ones(*size, device=device, **kwargs)

    monkeypatch.setattr(torch, "ones", ones_failing_on_the_gpu)
    assert devices.cuda_problem(torch.device("cuda")) == ("the GPU cuda cannot run PyTorch's kernels (CUDA error: no "
                                                          "kernel image is available for execution on the device)")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UserError, match=r"the GPU cuda cannot run PyTorch's kernels \(CUDA error: no kernel image .*"
                                        r"\); use --device cpu"):
        pick_device("cuda")
    assert pick_device("auto") == torch.device("cpu") and "warning: the GPU cuda cannot run" in capsys.readouterr().err
    with pytest.raises(UserError, match="--device cuda:3 does not exist: this machine has 1 CUDA GPU"):
        pick_device("cuda:3")


@pytest.mark.parametrize("capability, fast", [((7, 5), False), ((7, 0), False), ((8, 0), True), ((9, 0), True)])
def test_bfloat16_on_a_gpu_needs_compute_capability_8_of_the_chosen_gpu(monkeypatch, capability, fast):
    asked = []
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: asked.append(device) or capability)
    assert has_fast_bfloat16(torch.device("cuda:1")) == fast and asked == [torch.device("cuda:1")]


def test_bf16_on_a_t4_is_refused_for_a_new_run_and_explained_for_a_resumed_one(monkeypatch, flowers, tmp_path):
    run_dir = train_tiny_gan(flowers, tmp_path)
    fake_gpu(monkeypatch, capability=(7, 5))  # a Colab T4
    monkeypatch.setattr(devices, "pick_device", lambda name: torch.device("cuda"))  # stops before any CUDA
    with pytest.raises(UserError, match=r"^the GPU cuda \(compute capability 7\.5\) has no bfloat16 arithmetic \(it "
                                        r"needs a GPU of compute capability 8.0 or newer.*; leave --bf16 out$"):
        train_tiny_gan(flowers, tmp_path, "--bf16", "--device", "cuda")
    checkpoint = torch.load(os.path.join(run_dir, "checkpoint.pth"), weights_only=True)
    checkpoint["args"]["bf16"] = True  # as if it had been started with --bf16 on an A100
    torch.save(checkpoint, os.path.join(run_dir, "checkpoint.pth"))
    with pytest.raises(UserError, match="this run was started with --bf16: continue it on such hardware"):
        run_gan_training.main(["--resume", run_dir, "--epochs", "2", "--device", "cuda", "--quiet"])


def test_a_checkpoints_cuda_random_stream_is_kept_and_restored_on_a_gpu_only(monkeypatch):
    cuda_state = torch.arange(16, dtype=torch.uint8)
    restored = []
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device: cuda_state)
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, device: restored.append((state, device)))
    data = torch.Generator().manual_seed(5)
    state = random_state(data, torch.device("cuda:0"))
    assert state["cuda"] is cuda_state and torch.equal(state["data"], data.get_state())
    restore_random_state(state, data, torch.device("cpu"))  # continued on a laptop: the CUDA stream is left
    assert restored == []
    restore_random_state(state, data, torch.device("cuda:0"))
    assert restored == [(cuda_state, torch.device("cuda:0"))]


def test_a_cpu_run_continued_on_a_gpu_seeds_cuda_from_its_checkpoint_not_from_the_run_seed(monkeypatch):
    seeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed", seeded.append)
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    data = torch.Generator().manual_seed(5)
    for seed in (999, 999, 1):
        torch.manual_seed(seed)
        restore_random_state(random_state(data, torch.device("cpu")), data, torch.device("cuda:0"))
    assert seeded[0] == seeded[1] != seeded[2]  # the same checkpoint, the same CUDA stream; another, another
    assert 999 not in seeded  # not the stream a fresh run starts with


def test_the_device_is_picked_once_so_that_its_warning_prints_once(monkeypatch, flowers, tmp_path):
    picked = []

    def pick_device(name="auto"):  # auto's warning about an unusable GPU would print once per call
        picked.append(name)
        return torch.device("cpu")
    monkeypatch.setattr(devices, "pick_device", pick_device)
    monkeypatch.setattr(lib.train_gan, "pick_device", pick_device, raising=False)
    train_tiny_gan(flowers, tmp_path, "--device", "auto")
    assert picked == ["auto"]


def test_compile_failing_on_this_machine_is_one_sentence_and_leaves_no_run_folder(monkeypatch, flowers, tmp_path,
                                                                                  capsys):
    class NoTriton(torch.nn.Module):
        def forward(self, *args):
            raise RuntimeError("Cannot find a working triton installation.\nMore details follow")

    monkeypatch.setattr(torch, "compile", lambda model: NoTriton())
    message = one_sentence(capsys, run_gan_training.main, ["--data_dir", flowers, "--output_dir", tmp_path / "runs",
                                                           "--compile"] + TINY_GAN)
    assert message == ("error: --compile does not work on this machine (RuntimeError: Cannot find a working triton "
                       "installation.); leave --compile out")
    assert os.listdir(str(tmp_path / "runs")) == []


def test_the_discriminators_output_stays_float32_and_unsaturated_under_bfloat16():
    torch.manual_seed(0)
    discriminator = Discriminator(4).eval()
    images = (torch.rand(1, 3, 32, 32) * 2 - 1).expand(8, 3, 32, 32)
    with torch.no_grad():
        logit = discriminator.layers[-2](torch.nn.Sequential(*discriminator.layers[:-2])(images))[0].item()
        discriminator.layers[-2].weight *= 8 / logit  # sigmoid(8) = 0.99966, which bfloat16 would round to 1
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = discriminator(images).view(-1)
    assert output.dtype == torch.float32 and ((output > 0.999) & (output < 1)).all()


@pytest.mark.parametrize("failure", ["CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 15.77 GiB total)",
                                     "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"])
def test_running_out_of_gpu_memory_is_one_sentence(capsys, failure):
    def main(argv):
        raise RuntimeError(failure)
    with pytest.raises(SystemExit) as stopped:
        run_main(main)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.startswith("error: out of memory ({}".format(failure[:40]))
    assert err.rstrip().endswith("or check with nvidia-smi whether another process holds the GPU")


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
