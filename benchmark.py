"""Time the tutorial-style training loops against the project's, back to back in one process.

For the GAN and the VAE, each loop trains a fresh model for the same number of epochs (the same number of
updates) on the chosen device. Prints a table of seconds per epoch (median over the epochs) and the speed-up
over the tutorial loop, and writes it with both loops' loss curves into --output_dir:
benchmark.md, benchmark.json, gan_loss_curves.png, vae_loss_curves.png.
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import json
import os
import statistics
import sys

from lib.utils.arguments import add_common_arguments, non_negative_int, nonempty_path, positive_int, seed
from lib.utils.errors import run_main


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gan_epochs", type=non_negative_int, default=10,
                        help="GAN epochs per loop (7 updates each; 0 skips the GAN)")
    parser.add_argument("--vae_epochs", type=non_negative_int, default=3,
                        help="VAE epochs per loop (469 updates and a test pass each; 0 skips the VAE)")
    parser.add_argument("--no_bf16", action="store_true",
                        help="leave out the GAN loop with bfloat16 autocast (left out anyway where the device has "
                             "no bfloat16 arithmetic in hardware)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="CPU threads for torch in every loop (default: torch's own choice)")
    parser.add_argument("--seed", type=seed, default=0, help="random seed of every loop")
    parser.add_argument("--flowers_dir", type=nonempty_path, default=None,
                        help="the flowers folder (default: $FLOWERS_ROOT or dataset_flowers_64px/)")
    parser.add_argument("--mnist_dir", type=nonempty_path, default=None,
                        help="folder holding MNIST/raw/ (default: $MNIST_ROOT, else data)")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_benchmark",
                        help="folder for the table and the curves")
    add_common_arguments(parser)
    return parser


def plot_curves(curves, keys, title, path):
    """One panel per loss in ``keys``: each loop's per-epoch curve. ``curves``: {loop name: result dict}."""
    import matplotlib.pyplot as plt
    from lib.utils.files import save_figure
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4), squeeze=False)
    for ax, (key, label) in zip(axes[0], keys):
        for name, result in curves.items():
            ax.plot(range(1, len(result[key]) + 1), result[key], label=name)
        ax.set(xlabel="epoch", ylabel=label, title=label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


def planned_loops(args, device, flowers_dir, mnist_dir):
    """The loops to time as ``(model, loop name, epochs, run)``, ``run()`` returning a loop's result dict; every
    tutorial loop comes first: the project's loops change how this process allocates memory
    (lib.utils.devices.keep_freed_memory), which must not speed up a tutorial loop run after them."""
    from lib.benchmark import loops as benchmark_loops
    from lib.utils.devices import has_fast_bfloat16
    loops = []
    if args.gan_epochs:
        from run_gan_training import parse_training_args
        common = ["--epochs", str(args.gan_epochs), "--seed", str(args.seed), "--device", str(device), "--quiet",
                  "--data_dir", flowers_dir]
        gan_args = parse_training_args(common)
        loops.append(("gan", "tutorial", args.gan_epochs, lambda: benchmark_loops.gan_tutorial(gan_args)))
        loops.append(("gan", "project float32", args.gan_epochs, lambda: benchmark_loops.gan_project(gan_args)))
        if not args.no_bf16 and has_fast_bfloat16(device):
            bf16_args = parse_training_args(common + ["--bf16"])
            loops.append(("gan", "project bfloat16 autocast", args.gan_epochs,
                          lambda: benchmark_loops.gan_project(bf16_args)))
        elif not args.no_bf16:
            print("no bfloat16 row: this {} has no bfloat16 arithmetic in hardware".format(
                "GPU" if device.type == "cuda" else "CPU"))
    if args.vae_epochs:
        loops.append(("vae", "tutorial", args.vae_epochs,
                      lambda: benchmark_loops.vae_tutorial(args.vae_epochs, mnist_dir, device, args.seed)))
        loops.append(("vae", "project", args.vae_epochs,
                      lambda: benchmark_loops.vae_project(args.vae_epochs, mnist_dir, device, args.seed)))
    return sorted(loops, key=lambda loop: loop[1] != "tutorial")  # a stable sort: keeps each group's order


def write_results(args, setting, rows, curves):
    """benchmark.md, benchmark.json and the loss-curve figures into --output_dir; ``setting`` heads the table."""
    from lib.utils.files import save_text
    if args.gan_epochs:
        plot_curves(curves["gan"], (("loss_d", "discriminator loss"), ("loss_g", "generator loss")),
                    "DCGAN, epoch means", os.path.join(args.output_dir, "gan_loss_curves.png"))
    if args.vae_epochs:
        plot_curves(curves["vae"], (("train_loss", "train loss per image"), ("test_loss", "test loss per image")),
                    "VAE, KL weight 1", os.path.join(args.output_dir, "vae_loss_curves.png"))
    table = ["| model | loop | epochs | s per epoch | speed-up |", "|---|---|---|---|---|"]
    table += ["| {model} | {loop} | {epochs} | {seconds_per_epoch:.3f} | {speedup:.2f}x |".format(**row)
              for row in rows]
    save_text("\n".join([setting, ""] + table) + "\n", os.path.join(args.output_dir, "benchmark.md"))
    save_text(json.dumps({"setting": setting, "rows": rows, "curves": curves}, indent=1),
              os.path.join(args.output_dir, "benchmark.json"))


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.gan_epochs and not args.vae_epochs:  # an empty table would look like a result
        parser.error("--gan_epochs and --vae_epochs are both 0, so there is nothing to time; give one of them at "
                     "least 1")
    from lib.utils.devices import pick_device
    from lib.utils.files import configure_matplotlib, prepare_output_dir
    configure_matplotlib(args.show)
    device = pick_device(args.device)
    import torch
    from lib.flowers import default_flowers_dir, flowers_image_folder
    from lib.mnist import default_data_dir, ensure_mnist
    flowers_dir = args.flowers_dir if args.flowers_dir is not None else default_flowers_dir()
    mnist_dir = args.mnist_dir if args.mnist_dir is not None else default_data_dir()
    if args.gan_epochs:  # both data sets are checked before anything runs or is written
        flowers_image_folder(flowers_dir, warn=False, flag="--flowers_dir")
    if args.vae_epochs:
        ensure_mnist(mnist_dir, download=False, flag="--mnist_dir")
    prepare_output_dir(args.output_dir)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    setting = "{}, {} torch thread(s), torch {}".format(device, torch.get_num_threads(), torch.__version__)
    print("device " + setting)

    rows, curves, tutorial_seconds = [], {"gan": {}, "vae": {}}, {}
    try:
        for model, loop, epochs, run in planned_loops(args, device, flowers_dir, mnist_dir):
            result = run()
            seconds = statistics.median(result["epoch_seconds"])
            tutorial_seconds.setdefault(model, seconds)  # the tutorial loops run first
            row = {"model": model, "loop": loop, "epochs": epochs, "seconds_per_epoch": seconds,
                   "speedup": tutorial_seconds[model] / seconds}
            rows.append(row)
            curves[model][loop] = result
            print("{model:4} {loop:26} {seconds_per_epoch:7.3f} s per epoch  {speedup:5.2f}x".format(**row),
                  flush=True)
    except KeyboardInterrupt:
        if not os.listdir(args.output_dir):
            os.rmdir(args.output_dir)
        print("\ninterrupted; nothing was written (the table is written once every loop has run)", file=sys.stderr)
        sys.exit(130)
    rows.sort(key=lambda row: row["model"] != "gan")  # the table lists each model's rows together
    write_results(args, setting, rows, curves)
    print("table and loss curves written to {}".format(args.output_dir))
    if args.show:
        from lib.utils.files import show_images
        show_images([os.path.join(args.output_dir, "{}_loss_curves.png".format(model))
                     for model, epochs in (("gan", args.gan_epochs), ("vae", args.vae_epochs)) if epochs])


if __name__ == "__main__":
    run_main(main)
