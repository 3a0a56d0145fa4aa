"""Place the offline copies of the data sets where the scripts look for them (used by prepare_data.py)."""
import os
import shutil
import tempfile

from lib.utils.errors import require_folder

FLOWERS_DIRNAME = "dataset_flowers_64px"


def link_flowers(source_dir, target_dir, copy=False):
    """Make every sub-folder of ``source_dir`` (train/, val/, test/) appear in ``target_dir``.

    Symbolic links by default (nothing is duplicated); ``copy=True``, or a system that refuses links, copies.
    Existing entries in ``target_dir`` are kept. Returns the names of the folders that were added.
    """
    require_folder(source_dir, "flowers folder", "pass the folder that holds {}/ with --source".format(
        FLOWERS_DIRNAME))
    os.makedirs(target_dir, exist_ok=True)
    added = []
    for name in sorted(os.listdir(source_dir)):
        source, target = os.path.join(source_dir, name), os.path.join(target_dir, name)
        if not os.path.isdir(source) or os.path.lexists(target):
            continue
        if copy:
            _copy_folder(source, target)
        else:
            try:
                os.symlink(os.path.abspath(source), target, target_is_directory=True)
            except OSError:  # e.g. Windows without the right to create links
                _copy_folder(source, target)
        added.append(name)
    return added


def _copy_folder(source, target):
    """Copy the folder ``source`` to ``target`` under a temporary name, renamed when complete: an interrupted copy
    is removed, never taken for a complete one by the next run."""
    partial = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(target)), prefix="." + os.path.basename(target))
    try:
        shutil.copytree(source, os.path.join(partial, "copy"))
        os.replace(os.path.join(partial, "copy"), target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
