// Runs an ONNX model in ONNX Runtime (onnxruntime-node, installed by bench/peers/setup.sh) on one float32 input.
// Usage: node ort_run.mjs MODEL.onnx INPUT.f32 DIM0,DIM1,... OUTPUT.f32
// .f32 files are raw little-endian float32. Prints the output shape as JSON on stdout.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const peers = process.env.ELIDE_PEERS_DIR ?? join(here, '..', '..', '..', 'bench', 'peers');
const ort = createRequire(join(peers, 'package.json'))('onnxruntime-node');

const [model, inputPath, dimsText, outputPath] = process.argv.slice(2);
const dims = dimsText.split(',').map(Number);
const bytes = readFileSync(inputPath);
const data = new Float32Array(bytes.length / 4);
new Uint8Array(data.buffer).set(bytes);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
const result = await session.run(feeds);
const out = result[session.outputNames[0]];
writeFileSync(outputPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
console.log(JSON.stringify(out.dims));
