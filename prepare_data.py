"""Put an offline copy of the data in place: MNIST decompressed into data/MNIST/raw/, the flowers linked (or
copied) into dataset_flowers_64px/. Only for machines without internet: elsewhere torchvision downloads MNIST,
and the flowers come with the course's repository.

python prepare_data.py --source FOLDER    # FOLDER holds MNIST/raw/*.gz and dataset_flowers_64px/
"""
import argparse
import os
import shutil

from lib.utils.errors import UserError, nonempty_path, run_main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=nonempty_path, required=True,
                        help="folder holding MNIST/raw/*.gz and dataset_flowers_64px/{train,val,test}/")
    parser.add_argument("--data_dir", type=nonempty_path, default="data", help="where MNIST goes (as MNIST/raw/)")
    parser.add_argument("--flowers_dir", type=nonempty_path, default="dataset_flowers_64px",
                        help="where the flowers go")
    parser.add_argument("--copy", action="store_true", help="copy the flowers instead of linking them")
    args = parser.parse_args(argv)
    from lib.mnist import FILES, decompress_mnist

    mnist, flowers = os.path.join(args.source, "MNIST", "raw"), os.path.join(args.source, "dataset_flowers_64px")
    missing = [name + ".gz" for name in FILES if not os.path.isfile(os.path.join(mnist, name + ".gz"))]
    if missing or not os.path.isdir(flowers):
        raise UserError("{} lacks {}; pass the folder that holds MNIST/raw/*.gz and dataset_flowers_64px/".format(
            args.source, ", ".join(missing) if missing else "dataset_flowers_64px/"))
    from lib.utils.files import prepare_output_dir
    prepare_output_dir(os.path.join(args.data_dir, "MNIST", "raw"), "--data_dir")  # a file, a read-only folder: said
    prepare_output_dir(args.flowers_dir, "--flowers_dir")                           # before anything is written
    decompress_mnist(mnist, args.data_dir)
    print("MNIST is in {}".format(os.path.join(args.data_dir, "MNIST", "raw")))
    for split in sorted(os.listdir(flowers)):
        source, target = os.path.abspath(os.path.join(flowers, split)), os.path.join(args.flowers_dir, split)
        if os.path.isdir(source) and not os.path.lexists(target):
            if args.copy:
                shutil.rmtree(target + ".partial", ignore_errors=True)  # what a copy cut short left
                shutil.copytree(source, target + ".partial")
                os.replace(target + ".partial", target)  # a copy cut short is never taken for a whole one
            else:
                os.symlink(source, target, target_is_directory=True)
    print("the flowers are in {}".format(args.flowers_dir))


if __name__ == "__main__":
    run_main(main)
