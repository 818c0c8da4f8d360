"""Write ``tests/file_seconds.json``: seconds per test file, summed from the per-test
durations (setup, call and teardown) that ``make test-unit`` prints (``--durations=0``).

    python -m tests.file_seconds /tmp/test-unit.log

``tests/conftest.py`` hands the files to the test workers longest first by these numbers.
"""

import json
import os
import re
import sys
from collections import defaultdict

LINE = re.compile(r"^([0-9.]+)s (setup|call|teardown)\s+(\S+?)::")


def file_seconds(lines):
    """``{file: seconds}`` from the lines of a pytest ``--durations`` report."""
    totals = defaultdict(float)
    for line in lines:
        match = LINE.match(line.strip())
        if match:
            totals[match.group(3)] += float(match.group(1))
    return {name: round(value, 1) for name, value in sorted(totals.items(),
                                                            key=lambda kv: -kv[1])}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not os.path.exists(argv[0]):
        sys.exit("usage: python -m tests.file_seconds LOG  (a log of `make test-unit`)")
    with open(argv[0], errors="replace") as f:
        totals = file_seconds(f)
    if not totals:
        sys.exit(f"{argv[0]}: no test durations found (run pytest with --durations=0)")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "file_seconds.json")
    with open(out, "w") as f:
        json.dump(totals, f, indent=1)
        f.write("\n")
    print(f"{len(totals)} files, {sum(totals.values()):.0f} s in all -> {out}")


if __name__ == "__main__":
    main()
