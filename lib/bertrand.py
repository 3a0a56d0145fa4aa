"""Part 1: Bertrand's box. Exact probabilities by Bayes' rule, and a vectorised Monte Carlo check.

The box holds three cards; each side is black (1) or white (0). One card is drawn uniformly at random and put on
the table with a uniformly random side up. The four quantities of the exercise are

    P(black up), P(white up), P(other side black | black up), P(other side black | white up).
"""
import collections
from fractions import Fraction

import numpy as np

BLACK, WHITE = 1, 0

# One row per card, one column per side: black/black, white/white, black/white.
CARDS = np.array([[BLACK, BLACK], [WHITE, WHITE], [BLACK, WHITE]])  # (3 cards, 2 sides)

# The quantities in the order the sheet asks for them, with their printed names.
QUANTITIES = collections.OrderedDict([
    ("black_up", "P(black up)"),
    ("white_up", "P(white up)"),
    ("other_black_given_black_up", "P(other side black | black up)"),
    ("other_black_given_white_up", "P(other side black | white up)"),
])

Estimate = collections.namedtuple("Estimate", ["value", "stderr", "count"])
Estimate.__doc__ = """A Monte Carlo estimate of a probability: the observed frequency ``value``, its standard error
``stderr`` = sqrt(value * (1 - value) / count), and ``count``, the number of draws it is a frequency over (all
draws for the unconditional ones, only the draws showing the conditioning colour for the conditional ones)."""


def likelihoods(colour):
    """P(``colour`` up | card) for every card, as Fractions: the share of the card's sides that have the colour."""
    return [Fraction(int(np.sum(card == colour)), len(card)) for card in CARDS]


def evidence(colour):
    """P(``colour`` up) = sum over cards of P(colour up | card) * P(card), the law of total probability."""
    prior = Fraction(1, len(CARDS))
    return sum((like * prior for like in likelihoods(colour)), Fraction(0))


def posteriors(colour):
    """P(card | ``colour`` up) = P(colour up | card) * P(card) / P(colour up) for every card (Bayes' rule)."""
    prior = Fraction(1, len(CARDS))
    return [like * prior / evidence(colour) for like in likelihoods(colour)]


def exact_probabilities():
    """The four probabilities, exactly, from :func:`evidence` and :func:`posteriors`.

    P(other side black | colour up) is the posterior mass of the cards whose other side is black when a side of
    that colour faces up: the BB card for black up, the BW card for white up.

    Returns:
        OrderedDict keyed as :data:`QUANTITIES`, values ``fractions.Fraction``.
    """
    result = collections.OrderedDict([("black_up", evidence(BLACK)), ("white_up", evidence(WHITE))])
    for colour, key in ((BLACK, "other_black_given_black_up"), (WHITE, "other_black_given_white_up")):
        mass = [p for p, card in zip(posteriors(colour), CARDS) if _other_side_is_black(card, colour)]
        result[key] = sum(mass, Fraction(0))
    return result


def _other_side_is_black(card, colour):
    """Whether ``card``, lying with a side of ``colour`` up, has black on its other side (False if it can't)."""
    if colour not in card:
        return False
    other = card[1] if card[0] == colour else card[0]
    return other == BLACK


def simulate(n_draws=1000000, seed=0):
    """Draw ``n_draws`` cards and sides at once; return the colours facing up and down.

    Args:
        n_draws: number of independent draws.
        seed: seed of the numpy random generator (same seed, same draws).

    Returns:
        (up, down): int arrays of shape ``(n_draws,)`` holding BLACK (1) or WHITE (0).
    """
    rng = np.random.default_rng(seed)
    card = rng.integers(0, len(CARDS), size=n_draws)  # (n_draws,) which card was drawn
    side = rng.integers(0, 2, size=n_draws)  # (n_draws,) which of its sides faces up
    return CARDS[card, side], CARDS[card, 1 - side]


def _frequency(hits):
    """Estimate of P(hit) from a boolean array of independent trials."""
    count = hits.size
    value = float(hits.mean()) if count else float("nan")
    stderr = float(np.sqrt(value * (1.0 - value) / count)) if count else float("nan")
    return Estimate(value, stderr, int(count))


def monte_carlo(n_draws=1000000, seed=0):
    """Monte Carlo estimates of the four probabilities from ``n_draws`` simulated draws.

    The conditional probabilities are frequencies among the draws that show the conditioning colour, so their
    standard errors use that smaller count.

    Returns:
        OrderedDict keyed as :data:`QUANTITIES`, values :class:`Estimate`.
    """
    up, down = simulate(n_draws, seed)
    black_up = up == BLACK  # (n_draws,) bool
    return collections.OrderedDict([
        ("black_up", _frequency(black_up)),
        ("white_up", _frequency(~black_up)),
        ("other_black_given_black_up", _frequency(down[black_up] == BLACK)),
        ("other_black_given_white_up", _frequency(down[~black_up] == BLACK)),
    ])
