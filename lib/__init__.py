"""Reference solution of the generative-models exercise: distributions, VAE on MNIST, DCGAN on flowers."""
