// Checks that ONNX Runtime reproduces PyTorch's reference output for every exported model.
//
// Usage: node bench/peers/ort_check.mjs --dir DIR [--models a,b] [--rtol 1e-3] [--atol 1e-4]
//
// For each DIR/NAME.onnx with NAME.input.npy and NAME.output.npy beside it (as written by
// export_models.py) it runs the input on CPU and compares element-wise:
//   |ort - torch| <= atol + rtol * |torch|
// Prints one line per model and exits 1 if any model fails.
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { readNpyFloat32 } from './npy.mjs';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    models: { type: 'string' },
    rtol: { type: 'string', default: '1e-3' },
    atol: { type: 'string', default: '1e-4' },
  },
});
if (!values.dir) {
  console.error('usage: ort_check.mjs --dir DIR [--models a,b] [--rtol R] [--atol A]');
  process.exit(2);
}
const rtol = Number(values.rtol);
const atol = Number(values.atol);
const names = values.models
  ? values.models.split(',').filter((s) => s.length > 0)
  : readdirSync(values.dir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
if (names.length === 0) {
  console.error(`no .onnx files in ${values.dir}`);
  process.exit(2);
}

let failures = 0;
for (const name of names) {
  const modelPath = join(values.dir, `${name}.onnx`);
  const inputPath = join(values.dir, `${name}.input.npy`);
  const outputPath = join(values.dir, `${name}.output.npy`);
  for (const p of [modelPath, inputPath, outputPath]) {
    if (!existsSync(p)) throw new Error(`missing ${p}`);
  }
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const input = readNpyFloat32(inputPath);
  const expected = readNpyFloat32(outputPath);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
  const result = await session.run(feeds);
  const actual = result[session.outputNames[0]];
  let maxAbs = 0;
  let worst = 0; // largest |diff| / (atol + rtol*|expected|); <= 1 passes
  const sameShape = actual.dims.length === expected.shape.length && actual.dims.every((d, i) => d === expected.shape[i]);
  if (sameShape) {
    for (let i = 0; i < expected.data.length; i++) {
      const diff = Math.abs(actual.data[i] - expected.data[i]);
      maxAbs = Math.max(maxAbs, diff);
      worst = Math.max(worst, diff / (atol + rtol * Math.abs(expected.data[i])));
    }
  }
  const ok = sameShape && worst <= 1 && Number.isFinite(worst);
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(20)} shape [${actual.dims}] max|ort-torch| ${maxAbs.toExponential(2)}` +
      ` (tolerance used ${(worst * 100).toFixed(1)}%)`,
  );
  await session.release();
}
process.exit(failures === 0 ? 0 : 1);
