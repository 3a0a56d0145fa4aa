"""Sheet task 4 (optional): draw flowers from a trained generator at a temperature T, z ~ N(0, T I) shaped
(B, 64, 1, 1), the generator as saved, batch_images_to_numpy and plt.imsave, as the sheet's recipe says.

Works on the newest run under results_gan/, on a run folder (its generator.pth, or the model_g.pth of the course's
own loop), on any generator.pth, generator_ema.pth or checkpoint.pth, and on the course's
gan_model_g_2500_epochs.pth. Writes the grid (default results_gan/generated.png) and beside it a .json file saying
which generator, temperature, seed and batch-norm statistics drew it, with the grid's measures. With
--temperatures, one figure of several temperatures drawn from the same latent directions (default
results_gan/temperatures.png), and in its .json how alike neighbouring temperatures are. Seconds on a CPU.
"""
import argparse
import json
import os

from lib.utils.errors import add_common_arguments, nonempty_path, positive_float, positive_int, \
    run_main, seed


def main(argv=None):
    from lib.sample_gan import DEFAULT_SAMPLING, SAMPLING_MODES, TEMPERATURE_SERIES
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=nonempty_path,
                        help="a generator file or a run folder (default: the newest run under results_gan/)")
    parser.add_argument("--temperature", type=positive_float, help="variance T of z (default 1)")
    parser.add_argument("--temperatures", type=positive_float, nargs="*", metavar="T",
                        help="instead, one figure of these temperatures from the same latent directions (without "
                             "values: {})".format(" ".join("{:g}".format(t) for t in TEMPERATURE_SERIES)))
    parser.add_argument("--num_images", type=positive_int, default=64,
                        help="images in the grid, per temperature (at most 1024)")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the latent vectors")
    parser.add_argument("--sampling", choices=SAMPLING_MODES, default=DEFAULT_SAMPLING,
                        help="the batch norms' statistics: those saved with the generator, from training (running, "
                             "default, the sheet's recipe), re-estimated for the final weights at T = 1 (standing), "
                             "or each batch's own (batch; the temperature then has no effect)")
    parser.add_argument("--interpolate", type=positive_int, metavar="STEPS",
                        help="instead of a grid, a row of STEPS images walking from one latent vector to another")
    parser.add_argument("--output", type=nonempty_path,
                        help="the image to write, .png or .jpg (default results_gan/generated.png, with "
                             "--temperatures results_gan/temperatures.png)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.num_images > 1024 or (args.interpolate or 2) < 2:
        parser.error("--num_images takes at most 1024 images, --interpolate at least 2 steps")
    series = args.temperatures is not None
    if series and (args.temperature is not None or args.interpolate):
        parser.error("--temperatures draws its own temperatures as a grid; leave out --temperature and --interpolate")
    output = args.output or os.path.join("results_gan", "temperatures.png" if series else "generated.png")
    if os.path.splitext(output)[1].lower() not in ((".png",) if series else (".png", ".jpg", ".jpeg")):
        parser.error("--output must end in .png" + ("" if series else " or .jpg"))
    from lib.utils.files import configure_matplotlib, prepare_output_dir, save_image_grid, save_text
    configure_matplotlib(args.show)
    import torch
    from lib.sample_gan import draw, draw_temperatures, find_newest_generator, folder_generator, generator_kind, \
        grid_measures, imsave, latent_vectors, load_generator, plot_temperatures
    from lib.utils.devices import pick_device
    from run_gan_training import batch_images_to_numpy

    device = pick_device(args.device)
    path = args.checkpoint or find_newest_generator()
    if os.path.isdir(path):
        path = folder_generator(path)
    generator = load_generator(path, device)
    nz = generator.layers[0].in_channels
    record = {"checkpoint": path, "generator": generator_kind(path), "sampling": args.sampling, "seed": args.seed}
    prepare_output_dir(os.path.dirname(os.path.abspath(output)), "--output")
    if series:
        temperatures = args.temperatures or list(TEMPERATURE_SERIES)
        images, measures = draw_temperatures(generator, temperatures, args.num_images, args.seed, args.sampling)
        grids = [batch_images_to_numpy((x + 1) / 2, max_images=len(x), normalize=False) for x in images]
        plot_temperatures(grids, temperatures, output, "{} images each, from the same latent directions (seed {})\n"
                          "{}, {} batch-norm statistics".format(args.num_images, args.seed, os.path.basename(path),
                                                                args.sampling))
        record.update(temperatures=temperatures, images=args.num_images, **measures)
        what = "temperatures {}".format(", ".join("{:g}".format(t) for t in temperatures))
    else:
        temperature = 1.0 if args.temperature is None else args.temperature
        if args.interpolate:
            ends = latent_vectors(2, nz, temperature, args.seed, device)  # (2, nz, 1, 1)
            weights = torch.linspace(0, 1, args.interpolate, device=device).view(-1, 1, 1, 1)
            images = draw(generator, (1 - weights) * ends[0] + weights * ends[1], args.sampling)
            save_image_grid(images, output, nrow=args.interpolate, value_range=(-1, 1))
        else:
            images = draw(generator, latent_vectors(args.num_images, nz, temperature, args.seed, device),
                          args.sampling)  # (n, 3, 32, 32) in [-1, 1]
            # [-1, 1] mapped onto [0, 1] the same way for every grid, so grids of two temperatures compare
            imsave(batch_images_to_numpy((images + 1) / 2, max_images=len(images), normalize=False), output)
            record.update(grid_measures(images))
        record.update(temperature=temperature, images=len(images))
        what = "{} images at temperature {:g}".format(len(images), temperature)
    save_text(json.dumps(record, indent=1), os.path.splitext(output)[0] + ".json")
    print("wrote {}: {} of {}, {} statistics".format(output, what, path, args.sampling))
    if args.show:
        from lib.utils.files import show_images
        show_images([output])


if __name__ == "__main__":
    run_main(main)
