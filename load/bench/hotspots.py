#!/usr/bin/env python3
"""Where a server spends its CPU under load: the functions with the most samples.

    hotspots.py perf PERF.DATA PID      # perf record (of `oauthspec load`, which follows the
                                        # server child, or of a node run with --perf-basic-prof)
    hotspots.py pyspy FILE              # py-spy record --format raw

Prints the top functions by self time (the samples in which the function itself was running),
as a share of all the process's samples. Used by load/bench/run.sh with PROFILE=1.
"""
import collections
import subprocess
import sys

TOP = 15


def show(title, counts, total):
    print(title)
    for name, n in counts.most_common(TOP):
        print(f"  {100.0 * n / total:5.1f}%  {name}")


def perf(data, pid):
    out = subprocess.run(
        ["perf", "report", "-i", data, "--pid", pid, "--percentage", "relative",
         "--no-children", "--sort", "dso,sym",
         "--stdio", "-g", "none", "--percent-limit", "0.5"],
        capture_output=True, text=True, check=True).stdout
    print(f"pid {pid}, self time by function (perf samples of that process):")
    shown = 0
    for line in out.splitlines():
        if line.strip().startswith("#") or "%" not in line or shown >= TOP:
            continue
        parts = line.split()
        print(f"  {parts[0]:>6}  {parts[1]} {' '.join(parts[3:])[:110]}")
        shown += 1


def pyspy(path):
    counts = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    for line in open(path):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        n = int(n)
        frames = stack.split(";")
        leaf = frames[-1]
        counts[leaf.split(" (")[0] + " (" + leaf.split(" (")[-1] if " (" in leaf else leaf] += n
        for f in set(fr.split(" (")[0] for fr in frames):
            inclusive[f] += n
        total += n
    show("django-oauth-toolkit (python), self time by function:", counts, max(total, 1))
    interesting = collections.Counter(
        {k: v for k, v in inclusive.items() if v < 0.9 * total})
    show("django-oauth-toolkit (python), time inside (inclusive), below 90%:",
         interesting, max(total, 1))


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind == "perf" and len(sys.argv) == 4:
        perf(sys.argv[2], sys.argv[3])
    elif kind == "pyspy" and len(sys.argv) == 3:
        pyspy(sys.argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
