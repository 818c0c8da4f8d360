"""Course tooling from the command line.

    python -m vidgen_tf.course release [--notebooks notebooks] [--lessons lessons]
                                       [--repo-url https://github.com/OWNER/REPO] [--branch B]
        with --repo-url: first writes the repository into pyproject.toml, the notebooks'
        badges and set-up cells and the README's badges (as sync-colab does)
    python -m vidgen_tf.course check-release
    python -m vidgen_tf.course grade SUBMISSIONS... [--out report] [--reference notebooks]
                                     [--cell-timeout 120] [--timeout 1800]
        exit code 2 (nobody graded) if the reference folder is wrong; 1 if a submission
        path does not exist (the others are graded).
    python -m vidgen_tf.course execute NOTEBOOKS... [--profile cpu]
    python -m vidgen_tf.course sync-colab [--repo-url URL] [--branch B] [--repo .]
        badges and set-up cells of notebooks/ and the README's badges from the setting in
        pyproject.toml ([tool.vidgen_tf.course]), which --repo-url / --branch change first
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf.course",
                                     description="Release, grade and execute the lessons.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("release", help="write lessons/ (student edition) from notebooks/")
    p.add_argument("--notebooks", default="notebooks")
    p.add_argument("--lessons", default="lessons")
    _source_arguments(p)

    p = commands.add_parser("check-release", help="fail if lessons/ is out of date")
    p.add_argument("--notebooks", default="notebooks")
    p.add_argument("--lessons", default="lessons")

    p = commands.add_parser("grade", help="grade student notebooks with nbval")
    p.add_argument("submissions", nargs="+", help="notebooks, or folders of notebooks")
    p.add_argument("--out", default="report", help="report path without extension")
    p.add_argument("--reference", default="notebooks", help="the instructor's notebooks")
    p.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell")
    p.add_argument("--timeout", type=int, default=1800, help="seconds per notebook")
    p.add_argument("--profile", default="smoke")

    p = commands.add_parser("execute", help="run notebooks in place and save their outputs")
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")

    p = commands.add_parser("sync-colab", help="make every notebook open with the Colab badge "
                                               "and set-up cell of the course's repository")
    p.add_argument("--repo", default=".", help="the checkout (with pyproject.toml, README.md)")
    _source_arguments(p)

    args = parser.parse_args(argv)
    if args.command in ("release", "sync-colab"):
        from vidgen_tf.course.colab import SettingsError

        repo = getattr(args, "repo", None) or os.path.dirname(os.path.abspath(args.notebooks))
        try:
            if args.command == "sync-colab" or args.repo_url or args.branch:
                _sync(repo, args.repo_url, args.branch)
        except (SettingsError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.command == "release":
        from vidgen_tf.course.release import release

        for path in release(args.notebooks, args.lessons):
            print(f"wrote {path}")
    elif args.command == "check-release":
        from vidgen_tf.course.release import out_of_date

        stale = out_of_date(args.notebooks, args.lessons)
        if stale:
            print(f"lessons/ is out of date for {', '.join(stale)}: run "
                  f"python -m vidgen_tf.course release", file=sys.stderr)
            return 1
        print("lessons/ is up to date")
    elif args.command == "grade":
        from vidgen_tf.course.grade import SetupError, collect_submissions, grade

        try:
            grade(args.submissions, args.reference, args.out, args.cell_timeout, args.timeout,
                  args.profile)
        except SetupError as error:       # the instructor's mistake: nobody was graded
            print(f"error: {error}", file=sys.stderr)
            return 2
        missing = collect_submissions(args.submissions)[1]
        if missing:
            print(f"error: {len(missing)} submission path(s) not found: {', '.join(missing)}",
                  file=sys.stderr)
            return 1
    elif args.command == "execute":
        from vidgen_tf.course.execute import execute_notebook

        for path in args.notebooks:
            print(f"executing {path} at profile {args.profile} ...", flush=True)
            seconds = execute_notebook(path, args.profile, args.timeout)
            print(f"{path}: {seconds:.0f} s")
    return 0


def _source_arguments(parser):
    parser.add_argument("--repo-url", help="the GitHub repository the course is published from "
                                           "(https://github.com/OWNER/REPO); kept in "
                                           "pyproject.toml")
    parser.add_argument("--branch", help="the branch Colab opens and pip installs from")


def _sync(repo, url, branch):
    from vidgen_tf.course.colab import CourseSource, read_source, sync_course

    source = None
    if url or branch:
        current = read_source(os.path.join(repo, "pyproject.toml"))
        source = CourseSource(url or current.repository, branch or current.branch)
    for path in sync_course(repo, source):
        print(f"updated {path}")


if __name__ == "__main__":
    sys.exit(main())
