"""Helpers every script shares, one module per concern:

- :mod:`lib.utils.errors`: UserError and run_main, so a mistake a user can fix ends in one sentence, and the
  helpers of such sentences (plural, shell_quote, require_folder);
- :mod:`lib.utils.arguments`: argparse types and the flags every script has (--device, --quiet, --show);
- :mod:`lib.utils.devices`: picking CPU or CUDA, what the hardware can do, seeds;
- :mod:`lib.utils.files`: output folders and atomic writes of tensors, text, figures and image grids;
- :mod:`lib.utils.checkpoints`: loading checkpoints and weights safely.
"""
