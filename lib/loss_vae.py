"""Part 3: the VAE's loss, binary cross-entropy of the reconstruction plus the weighted KL term."""
import torch
import torch.nn.functional as F
from torch import nn


class VAELoss(nn.Module):
    """Sheet task 3.1: reconstruction + ``kl_loss_weight`` * KL(q(z|x) || N(0, I)), summed over the batch.

    With weight 1 this is the negative evidence lower bound (ELBO) of a decoder with Bernoulli pixels, in nats
    (MNIST's grey levels make it a loss, not a log-likelihood); divide by the batch size for a loss per image.
    """

    def __init__(self, kl_loss_weight=1.):
        super().__init__()
        self.kl_loss_weight = kl_loss_weight

    def forward(self, x_reconstructed, x, mu, logvar):
        """``x_reconstructed``, ``x``: ``(B, C, H, W)`` in [0, 1]; ``mu``, ``logvar``: ``(B, latent)``.
        Returns the summed loss, a 0-d tensor."""
        reconstruction = binary_cross_entropy(x_reconstructed, x, reduction="sum")
        return reconstruction + self.kl_loss_weight * kl_divergence(mu, logvar)


def kl_divergence(mu, logvar):
    """KL(N(mu, sigma^2) || N(0, I)) summed over latent dimensions and images, in closed form
    (vaeloss_derivation.pdf): per dimension -1/2 (1 + ln sigma^2 - mu^2 - sigma^2)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def binary_cross_entropy(probabilities, targets, reduction="mean"):
    """``F.binary_cross_entropy``, except that a NaN probability makes the loss NaN instead of failing (on a
    GPU with a device-side assert that ends the process): a training run that diverged can then say so."""
    loss = F.binary_cross_entropy(probabilities.nan_to_num(0.5), targets, reduction=reduction)
    return loss + 0 * probabilities.sum()  # + 0, or NaN where a probability was NaN
