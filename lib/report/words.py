"""Numbers and lists written as the report's words: decimals, percentages, KL weights, trends."""
import numpy as np


def fmt(value, digits=1):
    """A number with ``digits`` decimals, or 'n/a'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return "{:.{}f}".format(value, digits)


def weight_name(weight):
    """'W = 30' for 30.0."""
    return "W = {:g}".format(weight)


def percent(fraction):
    """0.53 -> '53 %'; shares below 1 % keep one significant digit ('0.4 %') instead of reading as '0 %'."""
    value = 100 * fraction
    return "{:.0f} %".format(value) if abs(value) >= 1 or value == 0 else "{:.1g} %".format(value)


def join_words(items):
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def trend(values):
    """'rises', 'falls' or 'is not monotone' for a sequence of numbers."""
    steps = np.diff(np.asarray(values, dtype=float))
    if np.all(steps > 0):
        return "rises"
    if np.all(steps < 0):
        return "falls"
    return "is not monotone"
