"""Part 1: Bertrand's box, exact values and the Monte Carlo check."""
from fractions import Fraction
import sys

import numpy as np
import pytest

from lib import bertrand

EXPECTED = {"black_up": Fraction(1, 2), "white_up": Fraction(1, 2),
            "other_black_given_black_up": Fraction(2, 3), "other_black_given_white_up": Fraction(1, 3)}


def test_exact_probabilities_are_the_textbook_fractions():
    exact = bertrand.exact_probabilities()
    assert list(exact) == list(bertrand.QUANTITIES)
    assert dict(exact) == EXPECTED
    assert all(isinstance(value, Fraction) for value in exact.values())


def test_bayes_intermediate_steps():
    # P(card | black up): BB 2/3, WW 0, BW 1/3; P(card | white up) mirrors it. Each posterior sums to 1.
    assert bertrand.posteriors(bertrand.BLACK) == [Fraction(2, 3), 0, Fraction(1, 3)]
    assert bertrand.posteriors(bertrand.WHITE) == [0, Fraction(2, 3), Fraction(1, 3)]
    assert bertrand.likelihoods(bertrand.BLACK) == [1, 0, Fraction(1, 2)]
    assert bertrand.evidence(bertrand.BLACK) + bertrand.evidence(bertrand.WHITE) == 1


def test_simulation_draws_only_real_cards():
    up, down = bertrand.simulate(10000, seed=1)
    assert up.shape == down.shape == (10000,)
    pairs = set(zip(up.tolist(), down.tolist()))
    # (white up, black down) comes from BW; (black up, black down) from BB; no impossible pair can appear.
    assert pairs == {(1, 1), (0, 0), (1, 0), (0, 1)}
    # the BB card shows black on both sides, so "both black" is 1/3 of all draws
    assert abs(np.mean((up == 1) & (down == 1)) - 1 / 3) < 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_agrees_with_exact_values_within_standard_errors(seed):
    estimates = bertrand.monte_carlo(200000, seed=seed)
    for key, exact in EXPECTED.items():
        est = estimates[key]
        # The standard error is that of a frequency: sqrt(p (1 - p) / count); 4 of them bound a seeded draw
        # with probability > 0.9999 if the simulation is right.
        assert est.stderr == pytest.approx(np.sqrt(est.value * (1 - est.value) / est.count))
        assert abs(est.value - float(exact)) < 4 * est.stderr, key
    # conditional estimates use only the draws showing the conditioning colour
    assert estimates["other_black_given_black_up"].count + estimates["other_black_given_white_up"].count == 200000
    assert estimates["other_black_given_black_up"].count == round(estimates["black_up"].value * 200000)


def test_monte_carlo_standard_error_shrinks_like_one_over_sqrt_n():
    small = bertrand.monte_carlo(10000, seed=3)["black_up"].stderr
    large = bertrand.monte_carlo(1000000, seed=3)["black_up"].stderr
    assert large == pytest.approx(small / 10, rel=0.02)


def test_monte_carlo_is_reproducible_for_a_seed():
    assert bertrand.monte_carlo(1000, seed=5) == bertrand.monte_carlo(1000, seed=5)
    assert bertrand.monte_carlo(1000, seed=5) != bertrand.monte_carlo(1000, seed=6)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
