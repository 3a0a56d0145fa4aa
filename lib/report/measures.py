"""Image measures of the report's figures (edge detail, variety), to describe them and compare with references."""
import os

import numpy as np

from lib.report.document import read_image


def grid_tiles(image, nrow=8, padding=2):
    """Cut an image grid written by torchvision's make_grid into its square tiles.

    Args:
        image: (H, W, C) array.
        nrow: tiles per row of the grid.
        padding: pixels between tiles and around the grid.

    Returns:
        (N, T, T, C) array, N tiles of T x T pixels in row-major order; None when the size does not fit a grid.
    """
    height, width = image.shape[:2]
    if (width - padding) % nrow:
        return None
    step = (width - padding) // nrow
    tile = step - padding
    if tile < 2 or (height - padding) % step:
        return None
    rows = (height - padding) // step
    # (rows, T, nrow, T, C) view of the tiles, without the padding lines
    body = image[padding:padding + rows * step, padding:padding + nrow * step]
    body = body.reshape(rows, step, nrow, step, -1)[:, :tile, :, :tile]
    return body.transpose(0, 2, 1, 3, 4).reshape(rows * nrow, tile, tile, -1)


def edge_detail(tiles):
    """Mean absolute difference of neighbouring grey pixels inside the tiles: larger means sharper, finer detail."""
    grey = tiles.mean(axis=-1)  # (N, T, T)
    return float((np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=2)).mean()) / 2)


def variety(tiles):
    """Standard deviation of each pixel across the tiles, averaged over pixels: how different the images are."""
    return float(tiles.std(axis=0).mean())


def sample_statistics(path, nrow=8):
    """(edge detail, variety) of an image grid, or None when the file is missing or is not a grid."""
    if not path or not os.path.isfile(path):
        return None
    tiles = grid_tiles(read_image(path), nrow)
    return None if tiles is None else (edge_detail(tiles), variety(tiles))


def reconstruction_measures(path):
    """(sharpness, variety) of the reconstructions relative to the originals in a reconstruction figure, or None.

    The figure has the layout of the course's ``vae_output_15_epochs.png``: 8 test digits above their
    reconstructions. sharpness = edge detail of the reconstructions / that of the originals; variety = how
    different the 8 reconstructions are from each other / the same for the originals. 1.0 means "as the originals";
    a decoder that ignores its input draws 8 equal images, variety 0.
    """
    if not path or not os.path.isfile(path):
        return None
    tiles = grid_tiles(read_image(path), nrow=8)
    if tiles is None or len(tiles) != 16:
        return None
    original, reconstructed = tiles[:8], tiles[8:]
    if edge_detail(original) <= 0 or variety(original) <= 0:
        return None
    return edge_detail(reconstructed) / edge_detail(original), variety(reconstructed) / variety(original)


def compare_in_words(own, reference, what):
    """A phrase comparing two positive measurements, e.g. 'about as much edge detail as'."""
    if not reference > 0:
        return "{} that cannot be compared (the reference measures 0) with".format(what)
    ratio = own / reference
    if ratio < 0.85:
        amount = "clearly less {} than"
    elif ratio < 0.95:
        amount = "slightly less {} than"
    elif ratio <= 1.05:
        amount = "about as much {} as"
    elif ratio <= 1.15:
        amount = "slightly more {} than"
    else:
        amount = "clearly more {} than"
    return amount.format(what)
