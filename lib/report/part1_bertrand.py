"""Part 1 of the report: Bertrand's box worked with Bayes' rule, and its Monte Carlo check."""
from lib import bertrand

MONTE_CARLO_DRAWS = 1000000
MONTE_CARLO_SEED = 0


def write_bertrand(doc, estimates, draws, seed):
    """Worked solution with Bayes' rule, and the Monte Carlo table from ``estimates`` (see lib.bertrand)."""
    exact = bertrand.exact_probabilities()
    like_b, like_w = bertrand.likelihoods(bertrand.BLACK), bertrand.likelihoods(bertrand.WHITE)
    post_b, post_w = bertrand.posteriors(bertrand.BLACK), bertrand.posteriors(bertrand.WHITE)
    doc.heading("1  Probability theory: Bertrand's box")
    doc.paragraph("Setup. The box holds the cards BB (black/black), WW (white/white) and BW (black/white). A card is "
                  "drawn uniformly at random, P(BB) = P(WW) = P(BW) = 1/3, and lands with either of its two sides up "
                  "with probability 1/2. Write B for 'a black side is up' and W for 'a white side is up'. The "
                  "likelihoods are the shares of black sides: P(B | BB) = {}, P(B | WW) = {}, P(B | BW) = {}."
                  .format(*like_b))
    doc.heading("1.1  Probability that the card shows black, and that it shows white", 2)
    doc.paragraph("Law of total probability over the three cards:")
    doc.paragraph("P(B) = P(B | BB) P(BB) + P(B | WW) P(WW) + P(B | BW) P(BW) = {} · 1/3 + {} · 1/3 + {} · 1/3 = {}"
                  .format(like_b[0], like_b[1], like_b[2], exact["black_up"]), indent=0.3)
    doc.paragraph("P(W) = P(W | BB) P(BB) + P(W | WW) P(WW) + P(W | BW) P(BW) = {} · 1/3 + {} · 1/3 + {} · 1/3 = {}"
                  .format(like_w[0], like_w[1], like_w[2], exact["white_up"]), indent=0.3)
    doc.paragraph("Answer: P(black side up) = {} and P(white side up) = {}. This also follows from symmetry: of the "
                  "six equally likely sides, three are black and three white."
                  .format(exact["black_up"], exact["white_up"]))
    doc.heading("1.2  The card shows black: probability that the other side is black", 2)
    doc.paragraph("The other side is black exactly when the card is BB. Bayes' rule:")
    doc.paragraph("P(BB | B) = P(B | BB) P(BB) / P(B) = (1 · 1/3) / (1/2) = {}".format(post_b[0]), indent=0.3)
    doc.paragraph("(likewise P(BW | B) = (1/2 · 1/3) / (1/2) = {} and P(WW | B) = {}; the three sum to 1.)"
                  .format(post_b[2], post_b[1]), indent=0.3)
    doc.paragraph("Answer: P(other side black | black up) = {}. The intuitive 1/2 (\"it is BB or BW\") is wrong "
                  "because BB has two black sides that could be facing up, BW only one: of the three black sides "
                  "that can face up, two have black on the back.".format(exact["other_black_given_black_up"]))
    doc.heading("1.3  The card shows white: probability that the other side is black", 2)
    doc.paragraph("The other side is black exactly when the card is BW. Bayes' rule:")
    doc.paragraph("P(BW | W) = P(W | BW) P(BW) / P(W) = (1/2 · 1/3) / (1/2) = {}".format(post_w[2]), indent=0.3)
    doc.paragraph("(and P(WW | W) = (1 · 1/3) / (1/2) = {}, P(BB | W) = {}.)".format(post_w[1], post_w[0]),
                  indent=0.3)
    doc.paragraph("Answer: P(other side black | white up) = {}.".format(exact["other_black_given_white_up"]))
    doc.heading("1.4  Monte Carlo check (lib/bertrand.py)", 2)
    doc.paragraph("{:,} draws at once with numpy (seed {}): a random card index and a random side per draw, the "
                  "colour up and down read from a 3 x 2 table of the cards. Each probability is estimated by a "
                  "frequency; its standard error is sqrt(p (1 - p) / n), where n counts only the draws showing the "
                  "conditioning colour for the conditional probabilities.".format(draws, seed))
    rows, deviations = [], []
    for key, label in bertrand.QUANTITIES.items():
        est = estimates[key]
        deviation = (est.value - float(exact[key])) / est.stderr
        deviations.append(abs(deviation))
        rows.append([label, str(exact[key]), "{:.4f}".format(float(exact[key])), "{:.4f}".format(est.value),
                     "{:.4f}".format(est.stderr), "{:,}".format(est.count), "{:+.1f}".format(deviation)])
    doc.table(["quantity", "exact", "= decimal", "estimate", "std. error", "draws n", "dev. / SE"], rows)
    worst = max(deviations)
    verdict = "agree with the exact values" if worst < 3 else "deviate from the exact values more than chance allows"
    doc.paragraph("All four estimates {}: the largest deviation is {:.1f} standard errors (deviations beyond 3 "
                  "standard errors would happen by chance in fewer than 0.3 % of runs per quantity)."
                  .format(verdict, worst))
