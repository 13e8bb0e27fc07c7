#!/usr/bin/env python3
"""Paired A/B throughput of two Elide builds: `elide bench --json` of OLD and NEW alternating in one loop.

Usage:
    python3 bench/tools/ab_bench.py OLD_CLI NEW_CLI ROUNDS [elide bench options...]
    e.g. python3 bench/tools/ab_bench.py /tmp/cli-before/Elide.Cli .elide-build/cli/Elide.Cli 9 --model resnet20 --batch 64 --threads 1

OLD_CLI / NEW_CLI are Elide.Cli executables (copy .elide-build/cli before and after a change). Every round runs both,
the order flipping each round, so slow drifts in machine load hit both builds alike; the result is the median of
the per-round ratios new/old (> 1: the new build is faster), beside each build's median images/s.
"""
import json, statistics, subprocess, sys


def images_per_second(cli, args):
    out = subprocess.run([cli, "bench", *args, "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["images_per_s"]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    old, new, rounds, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    olds, news, ratios = [], [], []
    for r in range(rounds):
        if r % 2 == 0:
            a = images_per_second(old, args)
            b = images_per_second(new, args)
        else:
            b = images_per_second(new, args)
            a = images_per_second(old, args)
        olds.append(a)
        news.append(b)
        ratios.append(b / a)
    print(f"{' '.join(args)}: old median {statistics.median(olds):.1f} img/s, new median {statistics.median(news):.1f} img/s, "
          f"new/old paired median {statistics.median(ratios):.3f} (n={rounds})")


if __name__ == "__main__":
    main()
