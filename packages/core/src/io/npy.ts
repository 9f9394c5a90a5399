import { TesseraError } from '../errors.js';

/** Writes one array in NumPy's .npy format (version 1.0), readable with numpy.load. */
export function encodeNpy(data: Float32Array | Int8Array | Uint8Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Int8Array ? '|i1' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    pre,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

/** One array read back from .npy bytes (version 1.x/2.x, little-endian f4, i1 or u1, C order). */
export function decodeNpy(
  bytes: Uint8Array,
  file = '.npy',
): { data: Float32Array | Int8Array | Uint8Array; shape: number[] } {
  const bad = (why: string) => new TesseraError('CORRUPT_FILE', `${file}: ${why}`, { file });
  if (bytes.length < 10 || Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== '\x93NUMPY')
    throw bad('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major !== 1 && major !== 2) throw bad(`unsupported .npy version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw bad('truncated header length');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLen > bytes.length)
    throw bad(`header of ${headerLen} bytes runs past the end of the ${bytes.length}-byte file`);
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString('latin1');
  const descr = header.match(/'descr':\s*'([^']*)'/)?.[1];
  const fortran = header.match(/'fortran_order':\s*(True|False)/)?.[1];
  const shapeText = header.match(/'shape':\s*\(([^)]*)\)/)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === 'True') throw bad('Fortran-ordered arrays are not supported');
  const shape = shapeText
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`invalid shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = descr === '<f4' ? 4 : descr === '|i1' || descr === '|u1' ? 1 : 0;
  if (!width) throw bad(`dtype ${descr} is not one Tessera writes (<f4, |i1, |u1)`);
  const start = headerStart + headerLen;
  if (start + count * width !== bytes.length)
    throw bad(
      `shape (${shapeText}) of ${descr} needs ${count * width} data bytes, the file has ${bytes.length - start}`,
    );
  const body = bytes.slice(start);
  const data =
    descr === '<f4'
      ? new Float32Array(body.buffer, body.byteOffset, count)
      : descr === '|i1'
        ? new Int8Array(body.buffer, body.byteOffset, count)
        : new Uint8Array(body.buffer, body.byteOffset, count);
  return { data, shape };
}
