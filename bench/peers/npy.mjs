// Minimal reader for NumPy .npy files holding little-endian float32 arrays in C order.
// Format (NumPy NEP 1, "A Simple File Format for NumPy Arrays"): magic "\x93NUMPY", major, minor,
// header length (uint16 for v1, uint32 for v2/v3), an ASCII Python dict literal, then the raw data.
import { readFileSync } from 'node:fs';

/**
 * Reads a float32 .npy file.
 * @param {string} path
 * @returns {{ shape: number[], data: Float32Array }}
 * @throws {Error} when the file is not a .npy, or not a little-endian float32 C-order array.
 */
export function readNpyFloat32(path) {
  const bytes = readFileSync(path);
  const magic = bytes.subarray(0, 6).toString('latin1');
  if (magic !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4') throw new Error(`${path}: dtype ${descr}, expected <f4 (little-endian float32)`);
  if (fortran !== 'False') throw new Error(`${path}: Fortran-ordered arrays are not supported`);
  if (shapeText === undefined) throw new Error(`${path}: header has no shape`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart !== count * 4) {
    throw new Error(`${path}: expected ${count * 4} data bytes for shape [${shape}], found ${bytes.length - dataStart}`);
  }
  // Copy into a fresh, 4-byte aligned buffer: Buffer slices may start at any offset.
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + count * 4));
  return { shape, data };
}
