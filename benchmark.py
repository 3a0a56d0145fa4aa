"""Time the tutorial-style training loops against the project's, back to back in one process.

For the GAN and the VAE, a loop as the PyTorch tutorials feed it (a torchvision data set with per-image transforms
in a DataLoader) and the project's loop (the data decoded once into tensors) each train a fresh model for the same
epochs, calling the same course functions (update_discriminator and update_generator, VAELoss). A loop's seconds
per epoch are its wall time, from loading its data to its end, divided by its epochs. Prints the table and writes
it into --output_dir as benchmark.md and benchmark.json (docs/speed.md).
"""
import argparse
import json
import os
import time

from lib.utils.errors import add_device_argument, nonempty_path, positive_int, run_main

LOOPS = (  # (model, loop, function of lib.benchmark)
    ("GAN", "tutorial: ImageFolder, per-image transforms, DataLoader with 2 workers", "gan_tutorial"),
    ("GAN", "project: train_gan as run_gan_training.py runs it, writing its run folder", "gan_project"),
    ("VAE", "tutorial: torchvision MNIST, per-image ToTensor, DataLoader", "vae_tutorial"),
    ("VAE", "project: train_epoch on a TensorLoader", "vae_project"),
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gan_epochs", type=positive_int, default=10, help="GAN epochs per loop (7 updates each)")
    parser.add_argument("--vae_epochs", type=positive_int, default=3, help="VAE epochs per loop (469 updates each)")
    parser.add_argument("--flowers_dir", type=nonempty_path, default="dataset_flowers_64px", help="the flowers")
    parser.add_argument("--mnist_dir", type=nonempty_path, default="data", help="folder holding MNIST/raw/")
    parser.add_argument("--output_dir", type=nonempty_path, default="results_benchmark",
                        help="where benchmark.md and benchmark.json go")
    add_device_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="print the table only, not each loop as it ends")
    args = parser.parse_args(argv)
    import torch
    import lib.benchmark
    import run_gan_training
    from lib.flowers import flowers_dataset
    from lib.mnist import load_mnist
    from lib.utils.devices import pick_device
    from lib.utils.files import prepare_output_dir, save_text

    device = pick_device(args.device)
    flowers_dataset(args.flowers_dir)  # both data sets and the output folder checked before minutes of timing
    load_mnist(args.mnist_dir, True)
    prepare_output_dir(args.output_dir)
    gan_args = run_gan_training.build_parser().parse_args(
        ["--data_dir", args.flowers_dir, "--epochs", str(args.gan_epochs), "--device", str(device), "--quiet"])
    gan_args.channels_last = device.type == "cpu"  # what run_gan_training.main makes of its default, "auto"
    arguments = {"GAN": (gan_args,), "VAE": (args.vae_epochs, args.mnist_dir, device)}
    setting = "{} ({} CPU cores, {} torch threads), torch {}".format(
        torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU", os.cpu_count(),
        torch.get_num_threads(), torch.__version__)
    rows = []
    for model, loop, function in LOOPS:
        epochs = args.gan_epochs if model == "GAN" else args.vae_epochs
        started = time.perf_counter()
        loss = getattr(lib.benchmark, function)(*arguments[model])
        seconds = (time.perf_counter() - started) / epochs
        tutorial = rows[-1]["seconds_per_epoch"] if function.endswith("project") else seconds
        rows.append({"model": model, "loop": loop, "epochs": epochs, "seconds_per_epoch": seconds,
                     "speedup": tutorial / seconds, "last_epoch_loss": loss})
        if not args.quiet:
            print("{} {}: {:.3f} s per epoch".format(model, loop.split(":")[0], seconds), flush=True)
    lines = ["| model | loop | epochs | s per epoch | speed-up | last epoch's mean loss |", "|---|---|---|---|---|---|"]
    lines += ["| {} | {} | {} | {:.3f} | {:.2f}x | {} |".format(
        row["model"], row["loop"], row["epochs"], row["seconds_per_epoch"], row["speedup"],
        "D {:.3f}, G {:.3f}".format(*row["last_epoch_loss"]) if row["model"] == "GAN"
        else "{:.2f} nats per image".format(row["last_epoch_loss"])) for row in rows]
    text = "\n".join(["On {}; seconds per epoch = a loop's wall time from loading its data to its end, divided by "
                      "its epochs; each tutorial loop ran first.".format(setting), ""] + lines)
    save_text(text + "\n", os.path.join(args.output_dir, "benchmark.md"))
    save_text(json.dumps({"setting": setting, "rows": rows}, indent=1),
              os.path.join(args.output_dir, "benchmark.json"))
    print(text)
    print("wrote benchmark.md and benchmark.json into {}".format(args.output_dir))


if __name__ == "__main__":
    run_main(main)
