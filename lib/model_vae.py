"""Part 3: a variational autoencoder with one hidden layer in the encoder and one in the decoder (MLP)."""
import torch
from torch import nn


class VAE(nn.Module):
    """VAE for images ``(B, C, H, W)`` with pixel values in [0, 1].

    The encoder maps a flattened image to the mean ``mu`` and the log-variance ``logvar`` of a diagonal Gaussian
    q(z | x) over a ``latent_size``-dimensional code; the decoder maps a code back to pixel probabilities.
    With the defaults (1 x 28 x 28 MNIST digits, 100 hidden units, 2 latent dimensions) it has 158388 parameters.
    """

    def __init__(self, in_channels=1, in_height=28, in_width=28, hidden_size=100, latent_size=2):
        super().__init__()
        self.in_channels, self.in_height, self.in_width = in_channels, in_height, in_width
        self.hidden_size, self.latent_size = hidden_size, latent_size
        n_pixels = in_channels * in_height * in_width
        # The creation order of these five layers fixes how the random initialisation is drawn; keep it.
        self.fc1 = nn.Linear(n_pixels, hidden_size)       # (B, C*H*W) -> (B, hidden)   encoder hidden layer
        self.fc21 = nn.Linear(hidden_size, latent_size)   # (B, hidden) -> (B, latent)  mu
        self.fc22 = nn.Linear(hidden_size, latent_size)   # (B, hidden) -> (B, latent)  log-variance
        self.fc3 = nn.Linear(latent_size, hidden_size)    # (B, latent) -> (B, hidden)  decoder hidden layer
        self.fc4 = nn.Linear(hidden_size, n_pixels)       # (B, hidden) -> (B, C*H*W)  pixel logits

    def encode(self, x):
        """Images ``(B, C, H, W)`` -> ``(mu, logvar)``, each ``(B, latent_size)``; logvar = ln(sigma^2)."""
        h = torch.relu(self.fc1(x.reshape(x.shape[0], -1)))  # (B, hidden)
        return self.fc21(h), self.fc22(h)

    def reparameterize(self, mu, logvar):
        """Draw z ~ N(mu, exp(logvar)) as ``mu + std * eps`` so that gradients flow into mu and logvar.

        In eval mode the code is the mean ``mu`` itself: reconstructions and latent plots are deterministic.
        """
        if not self.training:
            return mu
        std = torch.exp(0.5 * logvar)          # (B, latent)
        return mu + std * torch.randn_like(mu)  # eps ~ N(0, I), one draw per sample and dimension

    def decode(self, z):
        """Codes ``(B, latent_size)`` -> pixel probabilities ``(B, C, H, W)`` in [0, 1]."""
        h = torch.relu(self.fc3(z))                 # (B, hidden)
        probabilities = torch.sigmoid(self.fc4(h))  # (B, C*H*W)
        return probabilities.view(-1, self.in_channels, self.in_height, self.in_width)

    def forward(self, x):
        """Images ``(B, C, H, W)`` -> ``(reconstruction (B, C, H, W), mu (B, latent), logvar (B, latent))``."""
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar
