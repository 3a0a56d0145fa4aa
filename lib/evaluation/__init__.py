"""Sample quality beyond the exercise: FD and KID of the GAN's and the VAE's samples, by a small classifier's features.

- :mod:`lib.evaluation.sample_quality`: the two measures and the feature classifiers (trained once, cached);
- :mod:`lib.evaluation.gan`: the table of DCGAN generators against the real flowers (evaluate_gan.py);
- :mod:`lib.evaluation.vae`: decoded prior samples of each VAE against the MNIST test digits (evaluate_vae.py).

The file name below lives here, without torch, because the light report code (lib/report/results.py) reads it.
"""
PRIOR_QUALITY_NAME = "prior_quality.json"  # written by lib.evaluation.vae into each results_kl{W}/ folder
