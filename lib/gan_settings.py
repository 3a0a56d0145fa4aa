"""The DCGAN's default training settings (the course's), in one place.

run_gan_training.py takes its defaults from here, and run_all's choice of an interrupted run to continue compares
a checkpoint's settings with them. Kept free of torch, so reading them costs nothing.
"""
from lib.ema import EMA_DECAY

# What a run learns with; a run whose checkpoint holds these values is one run_all may continue.
TRAINING_DEFAULTS = {"seed": 999, "batch_size": 128, "image_size": 32, "nz": 64, "ngf": 32, "ndf": 32,
                     "lr": 0.0002, "beta1": 0.5, "beta2": 0.999, "bf16": False, "per_image_loader": False,
                     "ema_decay": EMA_DECAY}
