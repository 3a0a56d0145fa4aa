"""Part 1: Bertrand's box simulated agrees with the pen-and-paper answers 1/2, 1/2, 2/3 and 1/3."""
import sys

import numpy as np
import pytest

from lib.bertrand import monte_carlo

EXACT = {"black up": 1 / 2, "white up": 1 / 2, "other black | black up": 2 / 3, "other black | white up": 1 / 3}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_agrees_with_the_exact_answers_within_its_standard_errors(seed):
    n_draws = 200000
    estimates = monte_carlo(n_draws, seed=seed)
    assert list(estimates) == list(EXACT)
    for name, exact in EXACT.items():
        value, stderr, count = estimates[name]
        # The standard error of a frequency, sqrt(p (1 - p) / count); a correct simulation lands within 4 of them
        # with probability above 0.9999.
        assert stderr == pytest.approx(np.sqrt(value * (1 - value) / count))
        assert abs(value - exact) < 4 * stderr, name
    # A conditional frequency counts only the draws showing its colour: together they are all draws.
    assert estimates["black up"][2] == estimates["white up"][2] == n_draws
    assert estimates["other black | black up"][2] == round(estimates["black up"][0] * n_draws)
    assert estimates["other black | black up"][2] + estimates["other black | white up"][2] == n_draws


def test_monte_carlo_is_seeded_and_its_error_shrinks_like_one_over_sqrt_n():
    assert monte_carlo(1000, seed=5) == monte_carlo(1000, seed=5) != monte_carlo(1000, seed=6)
    small, large = monte_carlo(10000, seed=3)["black up"][1], monte_carlo(1000000, seed=3)["black up"][1]
    assert large == pytest.approx(small / 10, rel=0.02)


if __name__ == "__main__":
    raise SystemExit(pytest.main([__file__] + sys.argv[1:]))
