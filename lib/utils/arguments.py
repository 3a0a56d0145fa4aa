"""argparse types for the scripts' flags, and the flags every script shares (--device, --quiet, --show).

A wrong value ends in argparse's usage line and one sentence, exit status 2.
"""
import argparse
import datetime
import math
import re


def _number(text, cast, name):
    try:
        return cast(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not {}".format(text, name))


def positive_int(text):
    """argparse type: an integer >= 1."""
    value = _number(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError("{} must be at least 1".format(value))
    return value


def non_negative_int(text):
    """argparse type: an integer >= 0."""
    value = _number(text, int, "a whole number")
    if value < 0:
        raise argparse.ArgumentTypeError("{} must not be negative".format(value))
    return value


def seed(text):
    """argparse type: a random seed, an integer from 0 to 2**32 - 1 (what numpy and torch both accept)."""
    value = _number(text, int, "a whole number")
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError("{} must be from 0 to 4294967295".format(value))
    return value


def below_one(text):
    """argparse type: a number in [0, 1), e.g. Adam's betas."""
    value = _number(text, float, "a number")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("{} must be at least 0 and less than 1".format(value))
    return value


def open_unit_interval(text):
    """argparse type: a number strictly between 0 and 1, e.g. a moving average's decay."""
    value = _number(text, float, "a number")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("{} must be greater than 0 and less than 1".format(value))
    return value


def positive_float(text):
    """argparse type: a finite number > 0."""
    value = _number(text, float, "a number")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError("{} must be a finite number greater than 0".format(value))
    return value


def nonempty_path(text):
    """argparse type: a file or folder name, which must not be empty (an empty string would silently mean a
    default, or the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path was given; name a file or folder")
    return text


def iso_date(text):
    """argparse type: a calendar date written YYYY-MM-DD, e.g. 2024-05-31 (checked to exist)."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        datetime.datetime.strptime(text, "%Y-%m-%d")  # a month 13 or a 30 February raises ValueError
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not a date written YYYY-MM-DD, e.g. {}".format(
            text, datetime.date.today().isoformat()))
    return text


def non_negative_float(text):
    """argparse type: a finite number >= 0."""
    value = _number(text, float, "a number")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("{} must be a finite number that is not negative".format(value))
    return value


def add_common_arguments(parser, device=True):
    """Add the flags every script shares: --quiet, --show and (if ``device``) --device."""
    if device:
        parser.add_argument("--device", default="auto",
                            help="'cpu', 'cuda', 'cuda:N' or 'auto' (CUDA when available, else CPU; default)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar (errors are still printed)")
    parser.add_argument("--show", action="store_true", help="also open the figures in a window")
