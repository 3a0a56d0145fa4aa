"""Reference solution of the generative-models exercise: Bertrand's box, distributions, MNIST VAE, flowers DCGAN."""
