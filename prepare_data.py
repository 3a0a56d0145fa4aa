"""Put the offline data in place: decompress MNIST into --data_dir and link the flowers into dataset_flowers_64px/.

On a machine with internet MNIST is downloaded by torchvision on first use; the flowers set comes with the
course material. This script is for the copies that lie in a local folder (default ../shared/datasets), laid
out as MNIST/raw/*.gz and dataset_flowers_64px/{train,val,test}/.
"""
import lib.packages  # noqa: F401 (first import: a missing package ends in one sentence, not a traceback)
import argparse
import os

from lib.data_setup import FLOWERS_DIRNAME, link_flowers
from lib.utils.arguments import nonempty_path
from lib.utils.errors import require_folder, run_main
from lib.utils.files import prepare_output_dir

ROOT = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=nonempty_path, default=os.path.join(ROOT, "..", "shared", "datasets"),
                        help="folder holding MNIST/raw/*.gz and dataset_flowers_64px/ (default ../shared/datasets)")
    parser.add_argument("--data_dir", type=nonempty_path,
                        default=os.environ.get("MNIST_ROOT") or os.path.join(ROOT, "data"),
                        help="where MNIST goes, as <data_dir>/MNIST/raw/ (default: $MNIST_ROOT or data/)")
    parser.add_argument("--flowers_dir", type=nonempty_path,
                        default=os.environ.get("FLOWERS_ROOT") or os.path.join(ROOT, FLOWERS_DIRNAME),
                        help="where the flowers go (default: $FLOWERS_ROOT or dataset_flowers_64px/)")
    parser.add_argument("--copy", action="store_true", help="copy the flowers instead of linking them")
    args = parser.parse_args(argv)
    from lib.mnist import prepare_mnist

    require_folder(args.source, "data source folder", "pass the folder that holds MNIST/ and {}/ with --source"
                   .format(FLOWERS_DIRNAME))
    prepare_output_dir(os.path.join(args.data_dir, "MNIST", "raw"), "--data_dir")
    prepare_output_dir(args.flowers_dir, "--flowers_dir")
    prepare_mnist(os.path.join(args.source, "MNIST", "raw"), args.data_dir)
    print("MNIST ready in {}".format(os.path.join(args.data_dir, "MNIST", "raw")))
    added = link_flowers(os.path.join(args.source, FLOWERS_DIRNAME), args.flowers_dir, copy=args.copy)
    print("flowers ready in {}{}".format(args.flowers_dir, " (added {})".format(", ".join(added)) if added else
                                         " (already there, kept as they are: delete them to copy afresh)"
                                         if args.copy else ""))


if __name__ == "__main__":
    run_main(main)
