"""Picking the device a script runs on, and what its hardware can do: CUDA checks, bfloat16, seeds, memory."""
import ctypes
import random
import sys

import numpy as np

from lib.utils.errors import OUT_OF_MEMORY_TEXTS, UserError


def pick_device(name="auto"):
    """Turn 'auto', 'cpu', 'cuda' or 'cuda:N' into a ``torch.device``; refuse CUDA on a machine without it."""
    import torch
    if name == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        device = torch.device("cuda")
        problem = cuda_problem(device)
        if problem:
            if problem not in _WARNED:
                _WARNED.add(problem)
                print("warning: {}; --device auto trains on the CPU instead".format(problem), file=sys.stderr)
            return torch.device("cpu")
        return device
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError("--device {!r} is not a device name; use cpu, cuda, cuda:N or auto".format(name))
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device {} was asked for but PyTorch sees no CUDA GPU on this machine; "
                            "use --device cpu (or auto)".format(name))
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError("--device {} does not exist: this machine has {} CUDA device(s)".format(
                name, torch.cuda.device_count()))
        problem = cuda_problem(device)
        if problem:
            raise UserError("{}; use --device cpu".format(problem))
    elif device.type != "cpu":
        raise UserError("--device {!r} is not supported; use cpu, cuda, cuda:N or auto".format(name))
    return device


_CUDA_CHECKED = {}  # device -> the problem found (or "") by cuda_problem, once per process


_WARNED = set()


def _run_tiny_kernels(device):
    """A matrix product (cuBLAS) and a convolution (cuDNN) of a few numbers on ``device``, read back."""
    import torch
    ones = torch.ones(8, 8, device=device)
    product = ones @ ones  # (8, 8)
    image = torch.nn.functional.conv2d(ones.view(1, 1, 8, 8), ones[:3, :3].reshape(1, 1, 3, 3))  # (1, 1, 6, 6)
    return float(product.sum() + image.sum())


def cuda_problem(device):
    """Why the CUDA ``device`` cannot train (one clause), or "" when a tiny kernel ran on it.

    Catches what a visible GPU can still fail with: a PyTorch build without kernels for its architecture ("no
    kernel image is available"), cuBLAS or cuDNN unable to get memory because another process holds it, a broken
    driver.
    """
    import torch
    key = str(device)
    if key not in _CUDA_CHECKED:
        try:
            _run_tiny_kernels(device)
            _CUDA_CHECKED[key] = ""
        except (RuntimeError, AssertionError) as err:  # torch's CUDA errors are RuntimeErrors
            text = str(err)
            try:
                what = "the GPU {} ({}, compute capability {}.{})".format(
                    device, torch.cuda.get_device_name(device), *torch.cuda.get_device_capability(device))
            except (RuntimeError, AssertionError):
                what = "the GPU {}".format(device)
            if "no kernel image" in text:
                problem = ("{} is not supported by this PyTorch build (no kernel image for it, it supports {}); "
                           "install a PyTorch build for this GPU".format(what, " ".join(_cuda_arch_list())))
            elif any(marker in text for marker in OUT_OF_MEMORY_TEXTS):
                problem = ("{} has no free memory (check with nvidia-smi whether another process holds it)"
                           .format(what))
            else:
                first_line = text.strip().splitlines()[0][:160] if text.strip() else type(err).__name__
                problem = "{} cannot run PyTorch's kernels ({})".format(what, first_line)
            _CUDA_CHECKED[key] = problem
    return _CUDA_CHECKED[key]


def _cuda_arch_list():
    import torch
    try:
        return torch.cuda.get_arch_list() or ["no GPU architectures"]
    except (RuntimeError, AssertionError, AttributeError):
        return ["other architectures"]


def has_fast_bfloat16(device):
    """Whether ``device`` (a ``torch.device``) has bfloat16 arithmetic in hardware.

    True for a CUDA GPU of compute capability 8.0 or newer (Ampere: A100, RTX 30xx, and later), and for a CPU
    where oneDNN has bfloat16 kernels (AVX-512 and newer). ``torch.cuda.is_bf16_supported()`` is no test: it
    counts emulation and says True on a T4 or V100, and asks about the current device, not ``device``. Elsewhere
    bfloat16 falls back to slow code: a GAN update took 17 times longer than in float32 on an AVX2 EPYC (measured).
    """
    import torch
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def keep_freed_memory():
    """Let this process reuse the memory it frees instead of handing it back to the operating system (glibc only).

    glibc serves blocks over 128 KiB with fresh mmap()ed pages and returns them on free(), so every activation
    tensor of a training step arrives as new pages the kernel must fault in and zero: measured here, 0.6 million
    page faults and about 10 % of the time of a GAN update. A fixed 32 MiB mmap threshold and a 1 GiB trim
    threshold keep freed blocks in the heap for the next step. Results do not change; elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):  # another C library (musl) without these settings
        return False


def seed_everything(seed):
    """Seed Python, numpy and torch (CPU and CUDA) so that a run on the CPU repeats bit for bit."""
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
