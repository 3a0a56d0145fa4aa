"""An exponential moving average (EMA) of a model's weights and batch-norm buffers, kept beside its training.

Averaging the generator's weights over the last few hundred updates removes much of the oscillation of GAN
training from the samples (Karras et al. 2018, Yazici et al. 2019). The average here is debiased: after ``t``
updates it is

    ema_t = sum_k decay ** (t - k) * w_k / sum_k decay ** (t - k),   k = 1 .. t,

the weights ``w_k`` after update ``k``, so the random initial weights get no share (a plain EMA started from them
keeps ``decay ** t`` of them: 3 % after 3,500 updates at 0.999). Floating-point buffers (batch-norm running means
and variances) are averaged the same way; integer buffers (``num_batches_tracked``) are copied.
"""
import copy

EMA_DECAY = 0.99  # default decay of the generator's average (generator_ema.pth), chosen by FD/KID (README)


class ModelEMA:
    """A debiased exponential moving average of ``model`` with the given ``decay`` (0 < decay < 1).

    ``ema.model`` is the averaged copy (eval mode, no gradients), on the device and in the memory format of
    ``model``. Call :meth:`update` after every optimizer step.
    """

    def __init__(self, model, decay):
        if not 0 < decay < 1:
            raise ValueError("the EMA decay must lie strictly between 0 and 1, got {}".format(decay))
        self.decay = float(decay)
        self.updates = 0
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def weight_of_newest(self):
        """The share the next update gives the newest weights: (1 - decay) / (1 - decay ** (updates + 1))."""
        return (1.0 - self.decay) / (1.0 - self.decay ** (self.updates + 1))

    def update(self, model):
        """Fold the current weights and buffers of ``model`` (same architecture) into the average."""
        import torch
        share = self.weight_of_newest()  # 1 at the first update: the average starts at the first trained weights
        self.updates += 1
        averaged = list(self.model.parameters()) + list(self.model.buffers())
        current = list(model.parameters()) + list(model.buffers())
        with torch.no_grad():
            for mean, value in zip(averaged, current):
                if mean.dtype.is_floating_point:
                    mean.lerp_(value, share)  # mean + share * (value - mean)
                else:
                    mean.copy_(value)

    def state_dict(self):
        """What a checkpoint needs to continue the average exactly: decay, number of updates, averaged state."""
        return {"decay": self.decay, "updates": self.updates, "model": self.model.state_dict()}

    def load_state_dict(self, state):
        """Continue from :meth:`state_dict`; the decay is the stored one."""
        self.decay, self.updates = float(state["decay"]), int(state["updates"])
        self.model.load_state_dict(state["model"])
