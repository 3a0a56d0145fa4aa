"""Part 1 (beyond the sheet's pen and paper): Bertrand's box simulated, to check the answers 1/2, 2/3 and 1/3."""
import numpy as np

CARDS = np.array([[1, 1], [0, 0], [1, 0]])  # (3 cards, 2 sides), 1 = black: black/black, white/white, black/white


def monte_carlo(n_draws=1000000, seed=0):
    """Draw ``n_draws`` cards with a random side up, all at once; estimate the four probabilities of the sheet.

    Returns ``{name: (estimate, standard error, draws counted)}`` for "black up", "white up", "other black |
    black up" and "other black | white up"; a conditional frequency counts only the draws showing its colour.
    """
    rng = np.random.default_rng(seed)
    card = rng.integers(0, 3, n_draws)  # (n_draws,) which card
    side = rng.integers(0, 2, n_draws)  # (n_draws,) which side faces up
    up, down = CARDS[card, side] == 1, CARDS[card, 1 - side] == 1  # (n_draws,) black up, black underneath
    events = {"black up": up, "white up": ~up, "other black | black up": down[up], "other black | white up": down[~up]}
    return {name: (hits.mean(), np.sqrt(hits.mean() * (1 - hits.mean()) / hits.size), hits.size)
            for name, hits in events.items()}
