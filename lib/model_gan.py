"""Part 4: the DCGAN's generator and discriminator for 32x32 images (the PyTorch DCGAN tutorial, at 32 px).

Both networks keep their layers, activations included, in an ``nn.ModuleList`` named ``layers``, so a state dict
has the keys ``layers.0.weight``, ``layers.1.running_mean``, ... of the course's reference checkpoint.
"""
import torch
from torch import nn


def weights_init(layer):
    """Sheet task 4: the DCGAN initialisation, applied with ``model.apply(weights_init)``.

    Conv and transposed-conv weights ~ N(0, 0.02); batch-norm weights ~ N(1, 0.02) and biases 0; every other
    layer is left as it is.
    """
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(layer.weight, 0.0, 0.02)
    elif isinstance(layer, nn.BatchNorm2d):
        nn.init.normal_(layer.weight, 1.0, 0.02)
        nn.init.zeros_(layer.bias)


class Generator(nn.Module):
    """Sheet task 4: map a latent vector ``(B, latent_size, 1, 1)`` to an image ``(B, C, 32, 32)`` in [-1, 1].

    A transposed conv lifts z to a 4x4 map of ``channels_multiplier * 8`` channels; three stride-2 transposed
    convs each double the size and halve the channels; a 3x3 conv (not transposed: the 32 px adaptation) maps to
    the image channels, and tanh bounds the values.
    """

    def __init__(self, channels_multiplier=32, num_input_channels=3, latent_size=64):
        super().__init__()
        ngf = channels_multiplier
        self.layers = nn.ModuleList([
            nn.ConvTranspose2d(latent_size, ngf * 8, 4, 1, 0, bias=False),  # (B, ngf*8, 4, 4)
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),  # (B, ngf*4, 8, 8)
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # (B, ngf*2, 16, 16)
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),  # (B, ngf, 32, 32)
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.Conv2d(ngf, num_input_channels, 3, 1, 1, bias=False),  # (B, C, 32, 32)
            nn.Tanh(),
        ])

    def forward(self, x):
        """``x``: latent vectors ``(B, latent_size, 1, 1)``; returns images ``(B, C, 32, 32)`` in [-1, 1]."""
        for layer in self.layers:
            x = layer(x)
        return x


class Discriminator(nn.Module):
    """Sheet task 4: map an image ``(B, C, 32, 32)`` to the probability ``(B, 1, 1, 1)`` that it is real.

    Three stride-2 convs halve the size (to ndf, 2 ndf, 4 ndf channels; batch norm on all but the first, as in
    DCGAN); a 4x4 conv without padding reduces the 4x4 map to one logit, and a sigmoid makes it a probability.
    The default ``channels_multiplier`` (ndf) 64 is the course's; run_gan_training.py trains with 32.
    """

    def __init__(self, channels_multiplier=64, num_input_channels=3):
        super().__init__()
        ndf = channels_multiplier
        self.layers = nn.ModuleList([
            nn.Conv2d(num_input_channels, ndf, 4, 2, 1, bias=False),  # (B, ndf, 16, 16)
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),  # (B, ndf*2, 8, 8)
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),  # (B, ndf*4, 4, 4)
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),  # (B, 1, 1, 1)
            nn.Sigmoid(),
        ])

    def forward(self, x):
        """``x``: images ``(B, C, 32, 32)`` in [-1, 1]; returns probabilities ``(B, 1, 1, 1)``.

        The last conv and the sigmoid run in float32 even under bfloat16 autocast (--bf16): with 8 bits of
        mantissa sigmoid(6.5) would round to 1.0, and the loss of a fake scored 1.0 saturates.
        """
        for layer in self.layers[:-2]:
            x = layer(x)
        with torch.autocast(x.device.type, enabled=False):
            return self.layers[-1](self.layers[-2](x.float()))
