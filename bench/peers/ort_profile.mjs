// Per-node kernel times of one ONNX model in ONNX Runtime (onnxruntime-node, CPU), from ORT's own profiler.
//
// Usage:
//   node bench/peers/ort_profile.mjs --model M.onnx [--batch B] [--threads T] [--iters N]
//
// Runs N inferences (default 30) on a seeded standard-normal input of the model's declared shape with dim 0 = B,
// with session profiling on, then prints one line per node: its op, output shape and the median of its
// `*_kernel_time` events over the last 20 runs, in ms, and the total. This is how the per-layer comparison in
// docs/benchmarks.md was made (ONNX Runtime's NCHW8c convolutions at 97–99 GFLOP/s on resnet20's 32/64-channel
// layers). The profile JSON ORT writes goes to the system temp directory and is removed afterwards.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { seededNormal } from './stats.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    batch: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    iters: { type: 'string', default: '30' },
  },
});
if (!values.model) {
  console.error('usage: ort_profile.mjs --model M.onnx [--batch B] [--threads T] [--iters N]');
  process.exit(2);
}
const batch = Number(values.batch), threads = Number(values.threads), iters = Number(values.iters);
if (![batch, threads, iters].every(v => Number.isInteger(v) && v >= 1)) {
  console.error('--batch, --threads and --iters must be positive integers');
  process.exit(2);
}
const prefix = join(tmpdir(), `ort-profile-${process.pid}`);
const session = await ort.InferenceSession.create(values.model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  enableProfiling: true, profileFilePrefix: prefix,
});
const name = session.inputNames[0];
const meta = session.inputMetadata?.[0];
const dims = meta?.shape ? meta.shape.map((d, i) => (i === 0 ? batch : Number(d))) : [batch, 1, 28, 28];
const size = dims.reduce((a, b) => a * b, 1);
const feeds = { [name]: new ort.Tensor('float32', seededNormal(size, 1234), dims) };
for (let i = 0; i < iters; i++) await session.run(feeds);
session.endProfiling(); // writes <prefix>_<timestamp>.json
const stem = `ort-profile-${process.pid}`;
const written = readdirSync(tmpdir()).filter(f => f.startsWith(stem) && f.endsWith('.json'));
if (written.length !== 1) {
  console.error(`expected one profile ${join(tmpdir(), stem)}*.json, found ${written.length}`);
  process.exit(1);
}
const file = join(tmpdir(), written[0]);
const events = JSON.parse(readFileSync(file, 'utf8'));
rmSync(file, { force: true });
const nodes = new Map();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const key = e.name.slice(0, -'_kernel_time'.length);
  if (!nodes.has(key)) nodes.set(key, { op: e.args.op_name, shape: JSON.stringify(e.args.output_type_shape ?? ''), durs: [] });
  nodes.get(key).durs.push(e.dur);
}
let total = 0;
for (const [key, n] of nodes) {
  const last = n.durs.slice(-20).sort((a, b) => a - b);
  const median = last[Math.floor(last.length / 2)] / 1000;
  total += median;
  console.log(`${key.slice(0, 48).padEnd(48)} ${String(n.op).padEnd(20)} ${median.toFixed(3).padStart(9)} ms  ${n.shape}`);
}
console.log(`total ${total.toFixed(3)} ms (medians per node; batch ${batch}, ${threads} thread(s))`);
