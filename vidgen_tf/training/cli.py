"""The command line: ``python -m vidgen_tf train ...`` and ``python -m vidgen_tf sample ...``.

    python -m vidgen_tf train vae --profile cpu --out runs/vae [--resume] [--steps N]
    python -m vidgen_tf sample runs/vae --n 16 [--out samples.mp4] [--seed 0]

``train`` writes the run folder described in ``vidgen_tf.training.run``; started again with
``--resume`` after an interruption, it continues from the last checkpoint. ``sample`` draws
``n`` clips from a finished run and writes them as one grid video (mp4 or gif).

An expected failure (a bad path, a run folder that holds another run, an unreadable file) is
printed as one line ``error: ...`` that names the file, with exit code 1 and no traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys


def _train(args):
    from vidgen_tf.training.run import train

    _, metrics = train(args.model, args.profile, args.out, resume=args.resume, steps=args.steps,
                       strategy=args.strategy, time_budget=args.time_budget)
    print(json.dumps(metrics, indent=2))


def _sample(args):
    import numpy as np

    from vidgen_tf.training.run import load_run
    from vidgen_tf.viz import save_video, video_grid

    model = load_run(args.run)
    if not hasattr(model, "generate"):
        raise ValueError(f"{args.run} holds a {type(model).__name__}, which cannot generate "
                         f"samples: `sample` expects the run of a generative model (one with "
                         f"a generate method).")
    videos = np.asarray(model.generate(args.n, seed=args.seed))
    out = args.out or os.path.join(args.run, f"samples_{args.n}_seed{args.seed}.mp4")
    save_video(out, video_grid(videos), fps=args.fps)
    print(f"wrote {args.n} samples to {out}")


# Failures a user can meet and fix: files and folders (OSError and the package's own errors,
# all subclasses of these), bad settings, training that diverged: one line each. A bug can
# raise these types too: VIDGEN_DEBUG=1 shows its traceback.
EXPECTED_ERRORS = (OSError, ValueError, RuntimeError, FloatingPointError)

_OS_HINTS = {
    errno.ENOTDIR: "a part of this path is a file where a folder was expected",
    errno.EEXIST: "it already exists, e.g. a file where a folder was to be created",
    errno.EISDIR: "a folder was given where a file was expected",
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "no permission: choose a path you can write to",
    errno.EPERM: "no permission: choose a path you can write to",
    errno.EROFS: "the file system is read-only: choose another path",
    errno.ENOSPC: "the disk is full",
}


def error_line(error):
    """The one line ``main`` prints for an expected failure (without the ``error:`` prefix).

    Args:
        error: an exception of ``EXPECTED_ERRORS``.

    Returns:
        str: its message on one line; for an ``OSError`` that carries a path, the path, what
        the system said and, for common cases, what it means.
    """
    if isinstance(error, OSError) and error.filename is not None:
        where = os.fsdecode(error.filename)
        if error.filename2 is not None:
            where += f" -> {os.fsdecode(error.filename2)}"
        text = f"{where}: {error.strerror or error}"
        if error.errno in _OS_HINTS:
            text += f" ({_OS_HINTS[error.errno]})"
    else:
        text = str(error) or type(error).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv=None):
    """Run the command line.

    Args:
        argv: optional list of str. The arguments (default: ``sys.argv[1:]``).

    Returns:
        int: the exit code, 0 on success and 1 after an expected failure (see
        ``EXPECTED_ERRORS``), which is printed as one line ``error: ...`` on stderr, without
        a traceback. Wrong arguments exit with argparse's usage message (code 2).
    """
    from vidgen_tf.training.recipes import RECIPES, _load_builtin
    from vidgen_tf.training.strategy import STRATEGIES

    _load_builtin()
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a model into a run folder")
    train.add_argument("model", choices=sorted(RECIPES))
    train.add_argument("--profile", default=None, help="smoke, cpu or gpu (default: from "
                       "VIDGEN_PROFILE or the devices)")
    train.add_argument("--out", required=True, help="the run folder")
    train.add_argument("--resume", action="store_true",
                       help="continue from the run folder's last checkpoint")
    train.add_argument("--steps", type=int, default=None, help="total optimizer steps")
    train.add_argument("--strategy", default="auto", choices=STRATEGIES)
    train.add_argument("--time-budget", type=float, default=None,
                       help="stop at the end of the first epoch after this many seconds")
    train.set_defaults(handler=_train)
    sample = commands.add_parser("sample", help="draw samples from a finished run")
    sample.add_argument("run", help="the run folder")
    sample.add_argument("--n", type=int, default=16)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--fps", type=int, default=8)
    sample.add_argument("--out", default=None, help="an .mp4 or .gif file")
    sample.set_defaults(handler=_sample)
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except EXPECTED_ERRORS as error:
        if os.environ.get("VIDGEN_DEBUG"):
            raise               # the whole traceback, for a maintainer chasing a bug
        print(f"error: {error_line(error)}", file=sys.stderr)
        print("(set VIDGEN_DEBUG=1 to see where it came from)", file=sys.stderr)
        return 1
    return 0
