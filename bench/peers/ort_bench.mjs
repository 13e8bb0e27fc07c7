// Inference latency/throughput of one ONNX model in ONNX Runtime (onnxruntime-node, CPU execution provider).
//
// Usage:
//   node bench/peers/ort_bench.mjs --model M.onnx --batch B --threads T --warmup W --iters I
//        [--spin 0|1] [--min-seconds S] [--seed N]
//
// Session: intraOpNumThreads=T, interOpNumThreads=1, graphOptimizationLevel 'all', executionMode
// 'sequential', config entry session.intra_op.allow_spinning = spin (default 0 when T>1, else 1;
// with T=1 there is no intra-op pool, so the setting has no effect).
// Input: seeded standard-normal float32 of the model's declared input shape with dim 0 replaced by B.
// Timing: W untimed runs, then at least I timed runs, continuing until S seconds of timed runs have
// passed. Each run is timed on its own (session.run end to end, including output allocation).
// Prints ONE JSON line:
//   {"runtime":"onnxruntime","version","model","batch","threads","spin","median_ms","p90_ms",
//    "mean_ms","min_ms","images_per_s","iters","input_shape"}
// images_per_s = batch / median seconds.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { percentile, seededNormal } from './stats.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    batch: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '10' },
    iters: { type: 'string', default: '30' },
    spin: { type: 'string' },
    'min-seconds': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1234' },
  },
});

function positiveInt(name, text) {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name} must be a positive integer, got ${text}`);
    process.exit(2);
  }
  return v;
}

if (!values.model) {
  console.error('usage: ort_bench.mjs --model M.onnx --batch B --threads T --warmup W --iters I [--spin 0|1] [--min-seconds S]');
  process.exit(2);
}
const batch = positiveInt('batch', values.batch);
const threads = positiveInt('threads', values.threads);
const warmup = Number(values.warmup);
const iters = positiveInt('iters', values.iters);
const minSeconds = Number(values['min-seconds']);
const spin = values.spin ?? (threads > 1 ? '0' : '1');
if (spin !== '0' && spin !== '1') {
  console.error(`--spin must be 0 or 1, got ${spin}`);
  process.exit(2);
}

const session = await ort.InferenceSession.create(values.model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  // Flattened by onnxruntime-common into the session config entry "session.intra_op.allow_spinning".
  extra: { session: { intra_op: { allow_spinning: spin } } },
});

const meta = session.inputMetadata[0];
const shape = meta.shape.map((d, i) => (i === 0 ? batch : d));
if (shape.some((d) => typeof d !== 'number')) {
  throw new Error(`${values.model}: input ${meta.name} has symbolic dims other than the batch: [${meta.shape}]`);
}
const data = seededNormal(shape.reduce((a, b) => a * b, 1), Number(values.seed));
const feeds = { [meta.name]: new ort.Tensor('float32', data, shape) };

for (let i = 0; i < warmup; i++) await session.run(feeds);

const times = [];
const started = process.hrtime.bigint();
for (;;) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  const t1 = process.hrtime.bigint();
  times.push(Number(t1 - t0) / 1e6);
  const elapsed = Number(t1 - started) / 1e9;
  if (times.length >= iters && elapsed >= minSeconds) break;
}
await session.release();

const sorted = [...times].sort((a, b) => a - b);
const median = percentile(sorted, 50);
const round = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    runtime: 'onnxruntime',
    version: ort.env.versions.node,
    model: basename(values.model, '.onnx'),
    batch,
    threads,
    spin: Number(spin),
    median_ms: round(median),
    p90_ms: round(percentile(sorted, 90)),
    mean_ms: round(times.reduce((a, b) => a + b, 0) / times.length),
    min_ms: round(sorted[0]),
    images_per_s: round((batch * 1000) / median),
    iters: times.length,
    input_shape: shape,
  }),
);
