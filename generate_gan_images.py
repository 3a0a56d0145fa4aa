"""Sheet task 4 (optional): draw flowers from a trained generator at a temperature T, z ~ N(0, T I).

Works on the newest run under results_gan/, on any generator.pth, generator_ema.pth or checkpoint.pth, and on
the course's gan_model_g_2500_epochs.pth. Writes the grid (default results_gan/generated.png) and beside it a
.json file saying which generator, temperature, seed and batch-norm statistics drew it.
"""
import argparse
import json
import os

from lib.utils.errors import add_common_arguments, nonempty_path, positive_float, positive_int, \
    run_main, seed


def main(argv=None):
    from lib.sample_gan import SAMPLING_MODES
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=nonempty_path,
                        help="a generator file or a run folder (default: the newest run under results_gan/)")
    parser.add_argument("--temperature", type=positive_float, default=1.0, help="variance T of z (default 1)")
    parser.add_argument("--num_images", type=positive_int, default=64, help="images in the grid (at most 1024)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the latent vectors")
    parser.add_argument("--sampling", choices=SAMPLING_MODES, default="standing",
                        help="the batch norms' statistics: re-estimated for the final weights at T = 1 (standing, "
                             "default), those of training (running), or each batch's own (batch; the temperature "
                             "then has no effect)")
    parser.add_argument("--interpolate", type=positive_int, metavar="STEPS",
                        help="instead of a grid, a row of STEPS images walking from one latent vector to another")
    parser.add_argument("--output", type=nonempty_path, default=os.path.join("results_gan", "generated.png"),
                        help="the image to write, .png or .jpg")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.num_images > 1024 or (args.interpolate or 2) < 2:
        parser.error("--num_images takes at most 1024 images, --interpolate at least 2 steps")
    if os.path.splitext(args.output)[1].lower() not in (".png", ".jpg", ".jpeg"):
        parser.error("--output must end in .png or .jpg")
    from lib.utils.files import configure_matplotlib, prepare_output_dir, save_image_grid, save_text
    configure_matplotlib(args.show)
    import torch
    from lib.sample_gan import draw, find_newest_generator, latent_vectors, load_generator
    from lib.utils.devices import pick_device

    device = pick_device(args.device)
    path = args.checkpoint or find_newest_generator()
    if os.path.isdir(path):
        path = os.path.join(path, "generator.pth")
    generator = load_generator(path, device)
    nz = generator.layers[0].in_channels
    if args.interpolate:
        ends = latent_vectors(2, nz, args.temperature, args.seed, device)  # (2, nz, 1, 1)
        weights = torch.linspace(0, 1, args.interpolate, device=device).view(-1, 1, 1, 1)
        noise, nrow = (1 - weights) * ends[0] + weights * ends[1], args.interpolate
    else:
        noise, nrow = latent_vectors(args.num_images, nz, args.temperature, args.seed, device), 8
    images = draw(generator, noise, args.sampling)  # (n, 3, 32, 32) in [-1, 1]
    prepare_output_dir(os.path.dirname(os.path.abspath(args.output)), "--output")
    save_image_grid(images, args.output, nrow=nrow, value_range=(-1, 1))
    save_text(json.dumps({"checkpoint": path, "temperature": args.temperature, "seed": args.seed,
                          "sampling": args.sampling, "images": len(images)}, indent=1),
              os.path.splitext(args.output)[0] + ".json")
    print("wrote {}: {} images of {} at temperature {:g}, {} statistics".format(
        args.output, len(images), path, args.temperature, args.sampling))
    if args.show:
        from lib.utils.files import show_images
        show_images([args.output])


if __name__ == "__main__":
    run_main(main)
