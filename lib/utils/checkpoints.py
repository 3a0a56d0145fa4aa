"""A training run's checkpoint: loading files safely, and the optimizer's and random streams' states."""
import hashlib
import os

import torch

from lib.utils.errors import UserError

CHECKPOINT_NAME = "checkpoint.pth"  # the resumable state in a run's folder, of either trainer


def load_checkpoint(path, missing_hint):
    """What ``torch.save`` wrote to ``path``, on the CPU and without running code stored in it; ``missing_hint``
    ends the sentence when the file does not exist, e.g. "train the model first with ..."."""
    if not os.path.isfile(path):
        raise UserError("{} does not exist; {}".format(path, missing_hint))
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        raise UserError("{} is not a checkpoint this project can read ({}); pass a file a training script "
                        "wrote".format(path, "it stores Python objects, not loaded for safety"
                                       if "weights only" in str(err).lower() else "damaged or not a torch file"))


def load_state_dict_checked(model, state_dict, source):
    """Load ``state_dict`` into ``model`` strictly; on a mismatch say which entries and shapes disagree."""
    if not isinstance(state_dict, dict):
        raise UserError("{} holds no model weights; pass a file written by this project".format(source))
    own = model.state_dict()
    problems = ["{} is missing".format(key) for key in own if key not in state_dict]
    problems += ["{} is not part of this model".format(key) for key in state_dict if key not in own]
    mismatched = [key for key in state_dict if key in own and state_dict[key].shape != own[key].shape]
    problems += ["{} has shape {} in the file but {} in the model".format(
        key, tuple(state_dict[key].shape), tuple(own[key].shape)) for key in mismatched]
    if problems:
        raise UserError("{} was saved from a model of another architecture or size ({}{}); use the model flags of "
                        "its training run".format(source, "; ".join(problems[:3]), "; ..." if problems[3:] else ""))
    model.load_state_dict(state_dict)
    return model


def load_optimizer_state(optimizer, state):
    """``optimizer.load_state_dict(state)``, every moment then laid out like its parameter: a run started
    channels-last on a laptop and continued contiguous on a GPU would keep moments of the other layout, and Adam's
    multi-tensor (foreach) kernels on CUDA take their fast path only for tensors of equal strides."""
    optimizer.load_state_dict(state)
    for parameter, moments in optimizer.state.items():
        for key, value in moments.items():
            if torch.is_tensor(value) and value.shape == parameter.shape:
                moments[key] = torch.empty_like(parameter).copy_(value)  # the parameter's device and strides


def random_state(data_generator, device):
    """The random streams a run draws from: torch's CPU stream, the data order's CPU ``data_generator`` and,
    on a GPU, its CUDA stream."""
    return {"torch": torch.get_rng_state(), "data": data_generator.get_state() if data_generator else None,
            "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None}


def restore_random_state(state, data_generator, device):
    """Put back the streams of :func:`random_state`: a resumed CPU run draws what the original would have. A run
    moved to a GPU keeps the data order, and seeds CUDA from the checkpoint (a CPU run's has no CUDA stream), not
    from the run's seed, which would replay the noise of its first epochs."""
    torch.set_rng_state(state["torch"])
    if data_generator is not None:
        data_generator.set_state(state["data"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)
    elif device.type == "cuda":
        digest = hashlib.sha256(state["torch"].numpy().tobytes()).digest()
        with torch.cuda.device(device):
            torch.cuda.manual_seed(int.from_bytes(digest[:8], "little"))
