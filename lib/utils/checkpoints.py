"""Loading what torch.save wrote, safely: checkpoints, optimizer states and model weights.

Weights are checked against the model they are loaded into; each failure is one sentence.
"""
import inspect
import os

from lib.utils.errors import UserError


# The first bytes of what torch.save writes: a zip archive (since torch 1.6), or a pickle (protocol 2 and newer).
TORCH_FILE_STARTS = (b"PK\x03\x04", b"\x80")


def load_checkpoint(path, missing_hint):
    """Load a file written by ``torch.save`` onto the CPU, without running code stored in it.

    ``missing_hint`` finishes the sentence when the file does not exist, e.g. "train first with ...".
    """
    import torch
    if not os.path.isfile(path):
        raise UserError("{} does not exist; {}".format(path, missing_hint))
    with open(path, "rb") as handle:
        if not handle.read(4).startswith(TORCH_FILE_STARTS):
            raise UserError("{} is not a checkpoint this project can read (it is no PyTorch file at all: torch.save "
                            "writes a zip archive or a pickle, and this file is neither); pass the model.pth or "
                            "checkpoint file a training script wrote".format(path))
    kwargs = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = True
    try:
        return torch.load(path, **kwargs)
    except Exception as err:  # torch raises many types for a damaged or foreign file; their texts confuse more
        unsafe = "weights only load failed" in str(err).lower()  # than they help (e.g. "KeyError: 101")
        raise UserError("{} is not a checkpoint this project can read ({}); pass the model.pth or checkpoint "
                        "file a training script wrote".format(
                            path, "it stores Python objects, which are not loaded for safety" if unsafe else
                            "it is damaged, truncated, or was not written by torch.save"))


def load_optimizer_state(optimizer, state):
    """``optimizer.load_state_dict(state)`` keeping this optimizer's own implementation choice (fused, foreach,
    capturable): a checkpoint records the one of the device it was written on, and a GPU's fused kernel must not
    follow a run that continues on a CPU (older torch versions have none there), nor the reverse."""
    own = optimizer.param_groups
    groups = [dict(saved, **{key: group[key] for key in ("fused", "foreach", "capturable") if key in group})
              for saved, group in zip(state["param_groups"], own)]
    optimizer.load_state_dict(dict(state, param_groups=groups))


def load_state_dict_checked(model, state_dict, source):
    """Load ``state_dict`` into ``model`` strictly; on a mismatch say which entries and shapes disagree."""
    if not isinstance(state_dict, dict):
        raise UserError("{} holds no model weights; pass a model.pth or checkpoint written by this project".format(
            source))
    own = model.state_dict()
    problems = ["{} is missing".format(k) for k in own if k not in state_dict]
    problems += ["{} is not part of this model".format(k) for k in state_dict if k not in own]
    problems += ["{} has shape {} in the file but {} in the model".format(
        k, tuple(v.shape), tuple(own[k].shape)) for k, v in state_dict.items()
        if k in own and hasattr(v, "shape") and tuple(v.shape) != tuple(own[k].shape)]
    if problems:
        shown = "; ".join(problems[:3]) + ("; and {} more".format(len(problems) - 3) if len(problems) > 3 else "")
        raise UserError("{} was saved from a model of another architecture or size ({}); use the same model "
                        "flags as the training run".format(source, shown))
    model.load_state_dict(state_dict)
    return model
