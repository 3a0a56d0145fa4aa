"""Part 4 (optional task): draw flowers from a trained DCGAN generator with a temperature.

z ~ N(0, T) (variance T, the temperature) shaped (n, nz, 1, 1) goes through the generator and the images are saved
as one grid. By default the batch norms use standing statistics (re-estimated at T = 1 for the final weights, then
eval mode; --sampling picks the running statistics of training or train-mode batch statistics instead). Works on
the newest run under results_gan/, on any generator.pth, generator_ema.pth or checkpoint.pth of a run, and on the
course's gan_model_g_2500_epochs.pth.
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import os

from lib.gan_sampling import DEFAULT_SAMPLING, SAMPLING_MODES
from lib.utils.arguments import add_common_arguments, nonempty_path, positive_float, positive_int, seed
from lib.utils.errors import run_main
from lib.utils.files import configure_matplotlib, prepare_output_file

MAX_IMAGES = 4096  # one grid; 4096 images need about 1 GB of activations in the generator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=nonempty_path, default=None,
                        help="generator.pth, checkpoint.pth, a run folder holding them, or the course's generator "
                             "file (default: the newest run's generator.pth under --results_dir)")
    parser.add_argument("--results_dir", type=nonempty_path, default="results_gan",
                        help="where to look for the newest run")
    parser.add_argument("--temperature", type=positive_float, default=1.0,
                        help="variance T of the latent normal distribution (> 0; default 1)")
    parser.add_argument("--num_images", type=positive_int, default=64,
                        help="images in the grid (at most {})".format(MAX_IMAGES))
    parser.add_argument("--nrow", type=positive_int, default=8, help="images per grid row")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the latent draws")
    parser.add_argument("--sampling", choices=SAMPLING_MODES, default=DEFAULT_SAMPLING,
                        help="batch-norm statistics: 'standing' (re-estimated at T = 1 over 12,800 draws, then eval "
                             "mode), 'running' (eval mode, the statistics of training) or 'batch' (train mode, each "
                             "batch its own; the temperature then has no effect); default %(default)s, the best by "
                             "FD/KID (README)")
    parser.add_argument("--ngf", type=positive_int, default=None,
                        help="generator width the checkpoint was trained with (default: the run's, else 32)")
    parser.add_argument("--nz", type=positive_int, default=None,
                        help="latent size the checkpoint was trained with (default: the run's, else 64)")
    parser.add_argument("--interpolate", type=positive_int, nargs="?", const=10, default=None, metavar="STEPS",
                        help="instead of a grid, write a strip of STEPS images (default 10) walking linearly "
                             "between two latent vectors")
    parser.add_argument("--output", type=nonempty_path, default=None,
                        help="image to write, .png or .jpg (default: <results_dir>/generated.png, or "
                             "interpolation.png)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.num_images > MAX_IMAGES:
        parser.error("argument --num_images: {} is more than the {} images one grid may hold".format(
            args.num_images, MAX_IMAGES))
    if args.interpolate is not None and not 2 <= args.interpolate <= MAX_IMAGES:
        parser.error("argument --interpolate: a walk needs from 2 to {} steps".format(MAX_IMAGES))
    configure_matplotlib(args.show)
    from lib.gan_sampling import draw, find_newest_generator, interpolate_latents, latent_vectors, load_generator, \
        run_settings
    from lib.utils.devices import pick_device
    from lib.utils.files import IMAGE_FORMATS, save_image_grid, show_images

    device = pick_device(args.device)
    path = args.checkpoint if args.checkpoint is not None else find_newest_generator(args.results_dir)
    if os.path.isdir(path):  # a run folder: its generator
        path = os.path.join(path, "generator.pth")
    settings = run_settings(path)  # a run's own model size, unless the flags say otherwise
    ngf = args.ngf if args.ngf is not None else settings.get("ngf", 32)
    nz = args.nz if args.nz is not None else settings.get("nz", 64)
    output = args.output or os.path.join(args.results_dir,
                                         "interpolation.png" if args.interpolate else "generated.png")
    generator = load_generator(path, ngf, nz, device)  # before the output folder is made: the file may be wrong
    prepare_output_file(output, "--output", suffixes=tuple(IMAGE_FORMATS))

    if args.interpolate:
        ends = latent_vectors(2, nz, args.temperature, args.seed, device)
        noise, nrow = interpolate_latents(ends[0], ends[1], args.interpolate), args.interpolate
    else:
        noise, nrow = latent_vectors(args.num_images, nz, args.temperature, args.seed, device), args.nrow
    images = draw(generator, noise, args.sampling, nz)  # (n, 3, 32, 32) in [-1, 1]
    save_image_grid(images, output, nrow=nrow, padding=2, value_range=(-1, 1))
    if not args.quiet:
        print("wrote {} ({} images from {}, temperature {:g}, {} statistics)".format(
            output, images.shape[0], path, args.temperature, args.sampling))
    if args.show:
        show_images([output])


if __name__ == "__main__":
    run_main(main)
