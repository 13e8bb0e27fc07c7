#!/usr/bin/env python3
"""Load test of `elide serve`: full-depth capacity, then 0.5x/1x/1.5x/2x of it against fixed full depth and
adaptive mode, with `hey` on loopback. Bounded in time (each phase runs --seconds). Prints a Markdown table and
writes results.json beside the raw hey CSVs in --out.

Open-loop approximation: hey workers are closed loops, so many workers (--workers) each limited to rate/workers
requests per second offer a rate that does not fall when the server slows down, as long as a response (result or
429) returns within one worker period; the script reports the rate actually offered.

The Pareto front used by both modes is, with --front, a trained model's real front (`elide explore --report`:
validation accuracies); without it, one written by this script from the server's own default ladder (its masks and
MACs) with SYNTHETIC accuracies, see synthetic_accuracy().
"""
import argparse, atexit, csv, json, os, random, signal, socket, statistics, struct, subprocess, sys, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# ELIDE_CLI_DLL points at another build (paired A/B of two builds).
CLI = os.environ.get("ELIDE_CLI_DLL") or os.path.join(ROOT, "src", "Elide.Cli", "bin", "Release", "net10.0", "Elide.Cli.dll")


def synthetic_accuracy(full_accuracy, macs, full_macs):
    """Accuracy drop grows with the square of the skipped fraction of work, scaled so that a 2x speed-up (half the
    MACs skipped) costs 1.0 point: the project's target for the Stochastic-Depth model (issue 5; Huang et al. 2016
    report 0.71 points at 2x power efficiency). NOT measured: a stand-in until a trained model's front exists."""
    skipped = 1.0 - macs / full_macs
    return full_accuracy - 0.04 * skipped * skipped


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.read().decode()


LIVE_SERVERS = []


@atexit.register
def stop_live_servers():
    """A run that fails half-way must not leave a server holding the port for the next run to measure by mistake."""
    for proc in list(LIVE_SERVERS):
        stop_server(proc)


def start_server(args, extra, log):
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is already in use (a server left from an earlier run?); stop it or pass --port")
    cmd = (["taskset", "-c", args.server_cpus] if args.server_cpus else []) + (args.server_wrapper.split() if args.server_wrapper else []) + ["dotnet", CLI, "serve", "-m", args.model, "--port", str(args.port), "--max-batch", str(args.max_batch),
           "--threads", str(args.threads), "--reload-poll-ms", "0"] + (["--engine-cpus", args.engine_cpus] if args.engine_cpus else []) + extra
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    LIVE_SERVERS.append(proc)
    deadline = time.time() + args.startup_timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {log.name}")
        try:
            if json.loads(get(args.port, "/v2/health/ready")).get("ready"):
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not become ready")


def stop_server(proc):
    if proc in LIVE_SERVERS:
        LIVE_SERVERS.remove(proc)
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def scrape(port):
    """Sums of elide_images_total and elide_served_accuracy_sum, images per configuration, the cumulative
    buckets {le: count} of the server's own latency histogram for answered (200) requests, and the garbage
    collector's (pause seconds, collections per generation), and the cumulative buckets of queue wait and batch
    compute time summed over models."""
    images, accuracy, per_config, buckets, gc = 0.0, 0.0, {}, {}, {"pause": 0.0}
    stages = {"queue": {}, "compute": {}}
    for line in get(port, "/metrics").splitlines():
        for stage, metric in (("queue", "elide_queue_wait_seconds_bucket{"), ("compute", "elide_batch_compute_seconds_bucket{")):
            if line.startswith(metric):
                le = line.split('le="')[1].split('"')[0]
                bound = float("inf") if le == "+Inf" else float(le)
                stages[stage][bound] = stages[stage].get(bound, 0) + float(line.rsplit(" ", 1)[1])
        if line.startswith("elide_gc_pause_seconds_total"):
            gc["pause"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("elide_gc_collections_total{"):
            gc["gen" + line.split('generation="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
        if line.startswith("elide_request_duration_seconds_bucket{") and 'status="200"' in line:
            le = line.split('le="')[1].split('"')[0]
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("elide_images_total{"):
            config = line.split('config="')[1].split('"')[0]
            value = float(line.rsplit(" ", 1)[1])
            images += value
            per_config[config] = per_config.get(config, 0) + value
        elif line.startswith("elide_served_accuracy_sum{"):
            accuracy += float(line.rsplit(" ", 1)[1])
    return images, accuracy, per_config, buckets, gc, stages


def histogram_quantile(before, after, q):
    """The q-quantile (ms) of the requests counted between two scrapes of a cumulative histogram, interpolated
    linearly inside its bucket (as Prometheus' histogram_quantile does)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return float("nan")
    rank, lower, below = q * counts[-1], 0.0, 0.0
    for bound, cumulative in zip(bounds, counts):
        if cumulative >= rank:
            if bound == float("inf"):
                return 1000 * lower
            return 1000 * (lower + (bound - lower) * (rank - below) / max(cumulative - below, 1e-9))
        lower, below = bound, cumulative
    return float("nan")


def cpu_busy(cpus):
    """Cumulative (busy, total, steal) jiffies of the listed CPUs (taskset list like "0" or "0,1"), from /proc/stat."""
    wanted = {f"cpu{c}" for c in cpus.split(",")} if cpus else {"cpu"}
    busy = total = steal = 0
    with open("/proc/stat") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in wanted:
                values = [int(v) for v in parts[1:]]
                total += sum(values)
                busy += sum(values) - values[3] - values[4]  # idle and iowait
                steal += values[7]  # time the hypervisor ran someone else while this VM wanted the CPU
    return busy, total, steal


def busy_fraction(before, after):
    return (after[0] - before[0]) / max(after[1] - before[1], 1)


def steal_fraction(before, after):
    return (after[2] - before[2]) / max(after[1] - before[1], 1)


def hey(args, rate, csv_path, workers=None):
    """Runs hey for --seconds. With a rate, --processes hey processes of workers/processes workers each, started
    evenly across one worker period: the workers of one hey process tick in step, so a single process would send
    synchronized bursts of `workers` requests instead of a steady rate. Returns (latency ms, status) per request."""
    workers = workers or args.workers
    groups = args.processes if rate else 1
    per_group = max(1, workers // groups)
    url = f"http://127.0.0.1:{args.port}/v2/models/{args.name}/infer"
    period = groups * per_group / rate if rate else 0
    procs = []
    for g in range(groups):
        cmd = (["taskset", "-c", args.client_cpus] if args.client_cpus else []) + (["nice", "-n", str(args.client_nice)] if args.client_nice else []) + ["hey", "-z", f"{args.seconds}s", "-c", str(per_group), "-m", "POST"] + args.body_headers + [
               "-D", args.body, "-t", "30", "-o", "csv"]
        if rate:
            cmd += ["-q", f"{rate / (groups * per_group):.4f}"]
        out = open(f"{csv_path}.{g}", "w")
        procs.append((subprocess.Popen(cmd + [url], stdout=out), out))
        if rate and g + 1 < groups:
            time.sleep(period / groups)
    rows, offsets = [], []
    for g, (proc, out) in enumerate(procs):
        proc.wait()
        out.close()
        with open(f"{csv_path}.{g}") as f:
            for r in csv.DictReader(f):
                rows.append((float(r["response-time"]) * 1000, int(r["status-code"])))
                offsets.append(float(r["offset"]) + g * period / groups)
        os.remove(f"{csv_path}.{g}")
    # The send time (seconds from the phase's start) is kept so late answers can be placed in time: spread evenly
    # they point at queueing, bunched they point at stalls.
    with open(csv_path, "w") as f:
        f.write("latency_ms,status,sent_s\n" + "".join(f"{ms:.3f},{st},{t:.4f}\n" for (ms, st), t in zip(rows, offsets)))
    return rows


def summarize(rows, seconds, slo_ms):
    ok = sorted(ms for ms, status in rows if status == 200)
    def pct(q):
        return ok[min(len(ok) - 1, int(q * len(ok)))] if ok else float("nan")
    return {
        "offered_rps": len(rows) / seconds,
        "throughput_rps": len(ok) / seconds,
        "goodput_rps": sum(1 for ms in ok if ms <= slo_ms) / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "rejected_429": sum(1 for _, s in rows if s == 429),
        "other_errors": sum(1 for _, s in rows if s not in (200, 429)),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet20")
    p.add_argument("--port", type=int, default=18123)
    p.add_argument("--seconds", type=int, default=20, help="duration of every load phase")
    p.add_argument("--workers", type=int, default=64)
    p.add_argument("--processes", type=int, default=16, help="hey processes per paced phase, started staggered")
    p.add_argument("--max-batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--slo-ms", type=float, default=0, help="p99 SLO; default: 4x the full-depth batch latency at max batch")
    p.add_argument("--full-accuracy", type=float, default=0.925, help="accuracy assigned to full depth in the synthetic front")
    p.add_argument("--factors", default="0.5,1,1.5,2")
    p.add_argument("--front", help="the model's real front JSON (elide explore --report); default: a synthetic front")
    p.add_argument("--accuracy-floor", type=float, default=None,
                   help="also run adaptive mode with this accuracy floor (fraction, e.g. 0.927): it sheds load (429) "
                        "instead of going below the floor")
    p.add_argument("--slo-headroom", type=float, default=None, help="passed to elide serve (fraction of the SLO admission plans with; default the server's 0.8)")
    p.add_argument("--latency-feedback", action="store_true",
                   help="pass --latency-feedback to elide serve in every mode (planning budget shrunk by the measured prediction margin)")
    p.add_argument("--modes", default="fixed,adaptive,floor",
                   help="which modes to run: fixed (full depth), adaptive, floor (adaptive with --accuracy-floor)")
    p.add_argument("--capacity", type=float, default=0,
                   help="full-depth capacity in req/s from an earlier run (skips measuring it; the load factors multiply it)")
    p.add_argument("--engine-cpus", help="passed to elide serve: the engine's threads on these CPUs, the server's other threads on the rest of --server-cpus")
    p.add_argument("--server-cpus", help="pin the server to these CPUs (taskset list, e.g. 0)")
    p.add_argument("--server-wrapper", help="command the server runs under, e.g. 'chrt -b 0' (Linux SCHED_BATCH scheduling)")
    p.add_argument("--binary", action="store_true",
                   help="send the input with the protocol's binary tensor extension (raw floats after a JSON header) instead of a JSON data array")
    p.add_argument("--client-nice", type=int, default=0,
                   help="run the load generator at this nice value; negative (root) lets it read responses the moment they arrive when it shares a CPU with the server's HTTP threads")
    p.add_argument("--client-cpus", help="pin the load generator to these CPUs (e.g. 1), so it never steals the server's core")
    p.add_argument("--startup-timeout", type=float, default=600)
    p.add_argument("--out", default=os.path.join(ROOT, "bench", "serving", "results"))
    args = p.parse_args()
    args.name = os.path.splitext(os.path.basename(args.model))[0]
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "server.log"), "w")

    # A one-image request with seeded random pixels, shape from the model's metadata.
    server = start_server(args, [], log)
    meta = json.loads(get(args.port, f"/v2/models/{args.name}"))
    stop_server(server)
    shape = [1] + meta["inputs"][0]["shape"][1:]
    count = 1
    for d in shape:
        count *= d
    rng = random.Random(7)
    pixels = [round(rng.random(), 4) for _ in range(count)]
    if args.binary:
        # The protocol's binary tensor extension: a JSON header, then the raw little-endian floats, the header's
        # length in Inference-Header-Content-Length; the logits come back as JSON.
        header = json.dumps({"inputs": [{"name": meta["inputs"][0]["name"], "shape": shape, "datatype": "FP32",
                                         "parameters": {"binary_data_size": 4 * count}}]}).encode()
        args.body = os.path.join(args.out, "request.bin")
        with open(args.body, "wb") as f:
            f.write(header + struct.pack(f"<{count}f", *pixels))
        args.body_headers = ["-T", "application/octet-stream", "-H", f"Inference-Header-Content-Length: {len(header)}"]
    else:
        args.body = os.path.join(args.out, "request.json")
        with open(args.body, "w") as f:
            json.dump({"inputs": [{"name": meta["inputs"][0]["name"], "shape": shape, "datatype": "FP32", "data": pixels}]}, f)
        args.body_headers = ["-T", "application/json"]

    ladder = meta["elide"]["front"]
    if args.front:
        front_path = os.path.abspath(args.front)
        with open(front_path) as f:
            front = json.load(f)
        accuracy_kind = "validation, from the front"
    else:
        full_macs = ladder[0]["macs"]
        front = {"model": args.name, "blocks": meta["elide"]["blocks"], "front": [
            {"config": pt["config"], "val_accuracy": synthetic_accuracy(args.full_accuracy, pt["macs"], full_macs),
             "test_accuracy": None, "latency_ms_b1": pt["predicted_ms"]["1"],
             "latency_ms_b64": 0, "macs": pt["macs"], "energy_mj": 0} for pt in ladder]}
        front_path = os.path.join(args.out, f"{args.name}.synthetic.front.json")
        with open(front_path, "w") as f:
            json.dump(front, f, indent=2)
        accuracy_kind = "synthetic"
    # Full depth: the configuration that runs every block.
    full_config = max((pt["config"] for pt in front["front"]), key=lambda c: c.count("1"))
    full_latency = next(pt for pt in ladder if pt["config"] == full_config) if any(pt["config"] == full_config for pt in ladder) else ladder[0]
    slo = args.slo_ms or 4 * full_latency["predicted_ms"][str(args.max_batch)]
    accuracy_of = {pt["config"]: pt["val_accuracy"] for pt in front["front"]}
    print(f"model {args.name}: {len(ladder)} configurations, SLO p99 {slo:.1f} ms, front {front_path}", flush=True)

    common = ["--front", f"{args.name}={front_path}", "--slo-p99-ms", str(slo)]
    if args.slo_headroom is not None:
        common += ["--slo-headroom", str(args.slo_headroom)]
    if args.latency_feedback:
        common += ["--latency-feedback"]
    modes = {"fixed full depth": common + ["--config", full_config], "adaptive": common}
    if args.accuracy_floor is not None:
        modes[f"adaptive, floor {100 * args.accuracy_floor:.1f}%"] = common + ["--accuracy-floor", str(args.accuracy_floor)]
    wanted = set(args.modes.split(","))
    modes = {m: extra for m, extra in modes.items()
             if ("floor" if "floor" in m else m.split()[0]) in wanted}

    if args.capacity:
        capacity = args.capacity
        print(f"full-depth capacity: {capacity:.1f} req/s (given)", flush=True)
    else:
        # Capacity: closed-loop saturation of fixed full depth without SLO admission, so every request is served.
        server = start_server(args, common + ["--config", full_config, "--no-slo-admission", "--max-queue", "100000"], log)
        # Four batches' worth of clients: with two, the engine idled while a finished batch's clients sent their
        # next requests, and the "capacity" came out 10 % below what fixed full depth then served at 2x.
        hey(args, 0, os.path.join(args.out, "warmup.csv"), workers=4 * args.max_batch)
        cap = summarize(hey(args, 0, os.path.join(args.out, "capacity.csv"), workers=4 * args.max_batch), args.seconds, slo)
        stop_server(server)
        capacity = cap["throughput_rps"]
        print(f"full-depth capacity: {capacity:.1f} req/s (p50 {cap['p50_ms']:.1f} ms at {4 * args.max_batch} concurrent)", flush=True)

    results = {"model": args.name, "slo_p99_ms": slo, "capacity_rps": capacity, "front": front_path,
               "seconds": args.seconds, "workers": args.workers, "max_batch": args.max_batch, "runs": []}
    for mode, extra in modes.items():
        server = start_server(args, extra, log)
        hey(args, capacity * 0.5, os.path.join(args.out, "warmup.csv"))
        for factor in [float(x) for x in args.factors.split(",")]:
            before, cpu_before = scrape(args.port), (cpu_busy(args.server_cpus), cpu_busy(args.client_cpus), cpu_busy(None))
            rows = hey(args, capacity * factor, os.path.join(args.out, f"{mode.split()[0].rstrip(',')}{'-floor' if 'floor' in mode else ''}-{factor}x.csv"))
            after, cpu_after = scrape(args.port), (cpu_busy(args.server_cpus), cpu_busy(args.client_cpus), cpu_busy(None))
            s = summarize(rows, args.seconds, slo)
            # The server's own view (arrival at the endpoint to response written) separates its stalls from the
            # client's; the CPU figures say whether either side ran out of core.
            s["server_p99_ms"] = histogram_quantile(before[3], after[3], 0.99)
            s["server_cpu"] = busy_fraction(cpu_before[0], cpu_after[0])
            s["client_cpu"] = busy_fraction(cpu_before[1], cpu_after[1])
            s["steal"] = steal_fraction(cpu_before[2], cpu_after[2])
            # Where the server's time goes: waiting in the queue versus running batches.
            for stage in ("queue", "compute"):
                for q in (0.5, 0.99):
                    s[f"server_{stage}_p{int(q * 100)}_ms"] = histogram_quantile(before[5][stage], after[5][stage], q)
            # Garbage collection pauses stop the engine thread too: milliseconds paused per second of load.
            s["gc_pause_ms_per_s"] = 1000 * (after[4]["pause"] - before[4]["pause"]) / args.seconds
            s["gc_collections"] = {g: int(after[4][g] - before[4].get(g, 0)) for g in after[4] if g != "pause"}
            images = after[0] - before[0]
            s["mean_accuracy"] = (after[1] - before[1]) / images if images else float("nan")
            s["configs"] = {c: int(after[2].get(c, 0) - before[2].get(c, 0)) for c in after[2] if after[2].get(c, 0) - before[2].get(c, 0) > 0}
            s.update(mode=mode, factor=factor)
            results["runs"].append(s)
            print(f"{mode:24} {factor:>4}x offered {s['offered_rps']:6.1f}/s  throughput {s['throughput_rps']:6.1f}/s  goodput {s['goodput_rps']:6.1f}/s  "
                  f"p50 {s['p50_ms']:7.1f}  p99 {s['p99_ms']:7.1f} ms (server {s['server_p99_ms']:5.1f})  cpu {100 * s['server_cpu']:3.0f}%/{100 * s['client_cpu']:3.0f}%  steal {100 * s['steal']:2.0f}%  gc {s['gc_pause_ms_per_s']:4.1f} ms/s  queue {s['server_queue_p50_ms']:4.1f}/{s['server_queue_p99_ms']:4.1f}  batch {s['server_compute_p50_ms']:4.1f}/{s['server_compute_p99_ms']:4.1f} ms  429 {s['rejected_429']:5d}  err {s['other_errors']}  acc {100 * s['mean_accuracy']:.2f}%", flush=True)
        stop_server(server)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print()
    print(f"| mode | load | offered req/s | throughput req/s | goodput req/s (≤ {slo:.0f} ms) | p50 ms | p99 ms | server p99 ms | 429s | mean accuracy ({accuracy_kind}) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results["runs"]:
        print(f"| {r['mode']} | {r['factor']}x | {r['offered_rps']:.1f} | {r['throughput_rps']:.1f} | {r['goodput_rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['server_p99_ms']:.1f} | {r['rejected_429']} | {100 * r['mean_accuracy']:.2f}% |")
    fixed2 = next((r for r in results["runs"] if r["mode"] == "fixed full depth" and r["factor"] == 2.0), None)
    for adapt2 in (r for r in results["runs"] if r["mode"].startswith("adaptive") and r["factor"] == 2.0):
        if not fixed2:
            break
        ratio = adapt2["goodput_rps"] / fixed2["goodput_rps"] if fixed2["goodput_rps"] else float("inf")
        cost = 100 * (fixed2["mean_accuracy"] - adapt2["mean_accuracy"])
        print(f"At 2x, {adapt2['mode']}: p99 {adapt2['p99_ms']:.1f} ms (SLO {slo:.1f}), goodput {ratio:.2f}x fixed full depth, accuracy cost {cost:.2f} points")


if __name__ == "__main__":
    main()
