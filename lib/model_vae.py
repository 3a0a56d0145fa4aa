"""Part 3: the variational autoencoder, a one-hidden-layer MLP on each side of a small latent space."""
import torch
from torch import nn


class VAE(nn.Module):
    """Sheet task 3.1: a VAE for images ``(B, C, H, W)`` with pixel values in [0, 1].

    The encoder maps an image to the mean ``mu`` and log-variance ``logvar`` of q(z|x), a diagonal Gaussian
    over ``latent_size`` dimensions; the decoder maps a code z back to pixel probabilities. With the defaults
    (MNIST digits, 100 hidden units, 2 latent dimensions) it has 158,388 parameters.
    """

    def __init__(self, in_channels=1, in_height=28, in_width=28, hidden_size=100, latent_size=2):
        super().__init__()
        self.in_channels, self.in_height, self.in_width = in_channels, in_height, in_width
        self.hidden_size, self.latent_size = hidden_size, latent_size
        n_pixels = in_channels * in_height * in_width
        # The order in which the layers are made fixes their random initialisation: keep it.
        self.fc1 = nn.Linear(n_pixels, hidden_size)      # (B, C*H*W) -> (B, hidden)  encoder
        self.fc21 = nn.Linear(hidden_size, latent_size)  # (B, hidden) -> (B, latent)  mu
        self.fc22 = nn.Linear(hidden_size, latent_size)  # (B, hidden) -> (B, latent)  log sigma^2
        self.fc3 = nn.Linear(latent_size, hidden_size)   # (B, latent) -> (B, hidden)  decoder
        self.fc4 = nn.Linear(hidden_size, n_pixels)      # (B, hidden) -> (B, C*H*W)  pixel logits

    def encode(self, x):
        """Images ``(B, C, H, W)`` -> ``(mu, logvar)``, each ``(B, latent_size)``; logvar = ln sigma^2."""
        h = torch.relu(self.fc1(x.reshape(x.shape[0], -1)))
        return self.fc21(h), self.fc22(h)

    def reparameterize(self, mu, logvar):
        """z = mu + sigma * eps with eps ~ N(0, I): a sample of q(z|x) through which gradients reach mu and
        logvar. In eval mode z = mu, so reconstructions and plots are deterministic."""
        if not self.training:
            return mu
        std = torch.exp(0.5 * logvar)
        return mu + std * torch.randn_like(mu)

    def decode(self, z):
        """Codes ``(B, latent_size)`` -> pixel probabilities ``(B, C, H, W)`` in [0, 1]."""
        h = torch.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h)).view(-1, self.in_channels, self.in_height, self.in_width)

    def forward(self, x):
        """Images ``(B, C, H, W)`` -> ``(reconstruction (B, C, H, W), mu (B, latent), logvar (B, latent))``."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
