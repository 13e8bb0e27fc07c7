#!/usr/bin/env python3
"""Accuracy lost at the same speed-up by a Stochastic-Depth model and a conventionally trained baseline of the same
architecture, from their fronts (`elide explore --report` JSON), optionally with the SD front's configurations
re-evaluated with kept blocks unscaled (`elide eval --unscaled`).

Speed-up is measured in work: all-blocks MACs / configuration MACs. Both models have the same architecture, so a
mask has the same MACs in both and the comparison needs no timing (measured batch-1 speed-ups are printed too).
For each point of the SD front, the baseline's answer is the configuration a user would deploy at that speed-up:
among the baseline front's points with at least that speed-up, the one with the best validation accuracy; its test
accuracy is reported. Selection uses validation accuracy only, the drop is in test accuracy.

    python3 bench/adaptive/compare_fronts.py models/fashion-resnet32-sd.front.json models/fashion-resnet32.front.json
    python3 bench/adaptive/compare_fronts.py SD.front.json BASE.front.json --unscaled-model models/fashion-resnet32-sd.onnx
    python3 bench/adaptive/compare_fronts.py SD.unscaled.front.json BASE.front.json --reference SD.front.json
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load(path):
    with open(path) as f:
        report = json.load(f)
    points = report["front"]
    full = [p for p in points if "0" not in p["config"]]
    if not full:
        sys.exit(f"{path}: the front has no all-blocks configuration to measure drops against")
    return report, points, full[0]


def eval_unscaled(model, config, split, threads):
    cmd = [os.path.join(ROOT, "elide"), "eval", "--model", model, "--config", config, "--split", split, "--unscaled",
           "--json", "--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sd_front")
    ap.add_argument("baseline_front")
    ap.add_argument("--min-speedup", type=float, default=1.0, help="only SD points at least this much faster")
    ap.add_argument("--max-speedup", type=float, default=float("inf"), help="only SD points at most this much faster")
    ap.add_argument("--unscaled-model", help="also evaluate each SD configuration with p_l divided out (this model)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reference", help="measure the SD drops from this front's all-blocks test accuracy instead of the SD "
                    "front's own (e.g. an unscaled front against the scaled model one would deploy at full depth)")
    ap.add_argument("--json", help="write the rows here too")
    args = ap.parse_args()

    _, sd, sd_full = load(args.sd_front)
    _, base, base_full = load(args.baseline_front)
    sd_reference = load(args.reference)[2]["test_accuracy"] if args.reference else sd_full["test_accuracy"]
    if len(sd_full["config"]) != len(base_full["config"]) or sd_full["macs"] != base_full["macs"]:
        sys.exit("the two fronts are not of the same architecture (block count or MACs differ)")

    rows = []
    for p in sorted(sd, key=lambda p: p["macs"], reverse=True):
        speedup = sd_full["macs"] / p["macs"]
        if not args.min_speedup <= speedup <= args.max_speedup:
            continue
        candidates = [q for q in base if q["macs"] <= p["macs"]]
        if not candidates:
            continue
        b = max(candidates, key=lambda q: (q["val_accuracy"], -q["macs"]))
        sd_drop = 100 * (sd_reference - p["test_accuracy"])
        base_drop = 100 * (base_full["test_accuracy"] - b["test_accuracy"])
        row = {
            "sd_config": p["config"], "speedup_macs": speedup,
            "speedup_b1": sd_full["latency_ms_b1"] / p["latency_ms_b1"],
            "sd_test": p["test_accuracy"], "sd_drop_points": sd_drop,
            "baseline_config": b["config"], "baseline_speedup_macs": base_full["macs"] / b["macs"],
            "baseline_test": b["test_accuracy"], "baseline_drop_points": base_drop,
            "ratio": base_drop / sd_drop if sd_drop > 0 else None,
        }
        if args.unscaled_model:
            row["unscaled_val"] = eval_unscaled(args.unscaled_model, p["config"], "val", args.threads)
            row["unscaled_test"] = eval_unscaled(args.unscaled_model, p["config"], "test", args.threads)
            print(f"  {p['config']}: unscaled val {100 * row['unscaled_val']:.2f} %, test {100 * row['unscaled_test']:.2f} %",
                  file=sys.stderr)
        rows.append(row)

    head = "| SD config | speed-up (MACs) | speed-up b1 | SD test % | SD drop | baseline config | its speed-up | baseline test % | baseline drop | baseline/SD |"
    sep = "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"
    if args.unscaled_model:
        head += " SD unscaled val % | SD unscaled test % |"
        sep += "---:|---:|"
    print(head)
    print(sep)
    for r in rows:
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "–"
        line = (f"| {r['sd_config']} | {r['speedup_macs']:.2f}x | {r['speedup_b1']:.2f}x | {100 * r['sd_test']:.2f} | "
                f"{r['sd_drop_points']:+.2f} | {r['baseline_config']} | {r['baseline_speedup_macs']:.2f}x | "
                f"{100 * r['baseline_test']:.2f} | {r['baseline_drop_points']:+.2f} | {ratio} |")
        if args.unscaled_model:
            line += f" {100 * r['unscaled_val']:.2f} | {100 * r['unscaled_test']:.2f} |"
        print(line)
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
