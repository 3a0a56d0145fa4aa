"""Picking the device a script runs on, what its hardware can do, how it keeps memory, and seeds."""
import ctypes
import random
import sys

import numpy as np
import torch

from lib.utils.errors import UserError


def pick_device(name="auto"):
    """'auto', 'cpu', 'cuda' or 'cuda:N' as a ``torch.device``; 'auto' takes a CUDA GPU only if it works."""
    if name == "auto":
        if torch.cuda.is_available():
            problem = cuda_problem(torch.device("cuda"))
            if not problem:
                return torch.device("cuda")
            print("warning: {}; using the CPU".format(problem), file=sys.stderr)
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda"):
        raise UserError("--device {!r} is not a device this project runs on; use cpu, cuda, cuda:N or auto".format(
            name))
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device {} was asked for, but PyTorch sees no CUDA GPU here; use --device cpu".format(
                name))
        if (device.index or 0) >= torch.cuda.device_count():
            raise UserError("--device {} does not exist: this machine has {} CUDA GPU(s)".format(
                name, torch.cuda.device_count()))
        problem = cuda_problem(device)
        if problem:
            raise UserError("{}; use --device cpu".format(problem))
    return device


def cuda_problem(device):
    """Why the GPU ``device`` cannot run this project, in one clause, or "" when a tiny product and convolution ran:
    a visible GPU can lack kernels in this PyTorch build ("no kernel image"), its memory, or a working driver."""
    try:
        ones = torch.ones(1, 1, 8, 8, device=device)
        float((ones[0, 0] @ ones[0, 0]).sum() + torch.nn.functional.conv2d(ones, ones[:, :, :3, :3]).sum())
        return ""
    except (RuntimeError, AssertionError) as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        return "the GPU {} cannot run PyTorch's kernels ({})".format(device, first_line)


def has_fast_bfloat16(device):
    """Whether ``device`` computes in bfloat16 in hardware: a GPU of compute capability 8.0 or newer (A100,
    RTX 30xx, H100, ...), or a CPU with AVX-512 BF16 or AMX. Elsewhere bfloat16 is emulated, many times slower."""
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device)[0] >= 8
    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def seed_everything(seed):
    """Seed Python's, numpy's and torch's generators (the CPU's and every GPU's)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def keep_freed_memory():
    """Keep the memory this process frees for its next training step instead of returning it to the system.

    glibc hands each block over 128 KiB back to the kernel on free(), so every activation tensor of the next step
    arrives as fresh pages the kernel must fault in and zero. A 32 MiB mmap threshold and a 1 GiB trim threshold
    keep them in the heap: 10 GAN epochs took 0.88 times as long (2-core AMD EPYC, torch 2.14.1, docs/speed.md).
    Results do not change. Returns whether the settings took (False off glibc, e.g. on Windows, macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):  # no glibc
        return False
