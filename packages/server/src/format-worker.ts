/**
 * A formatting thread of FormatPool. A 'body' message is written whole as JSON; a 'rows' message
 * is a run of float arrays (packed one after the other, with their lengths), each written as its
 * JSON array, with where each ends (the main thread puts them into a body it writes itself).
 */
import { parentPort } from 'node:worker_threads';
import { jsonBody, jsonFloatArrays } from './json-body.js';

export type FormatRequest = { id: number; body: unknown } | { id: number; rows: Float32Array; lengths: Int32Array };

export type FormatReply =
  | { id: number; bytes: ArrayBuffer; length: number; ends?: Int32Array }
  | { id: number; error: string };

function unpack(packed: Float32Array, lengths: Int32Array): Float32Array[] {
  let at = 0;
  return Array.from(lengths, (n) => packed.subarray(at, (at += n)));
}

const port = parentPort;
if (!port) throw new Error('format-worker.js runs as a worker thread of @tessera/server');
port.on('message', (m: FormatRequest) => {
  let reply: FormatReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = 'rows' in m ? jsonFloatArrays(unpack(m.rows, m.lengths)) : { bytes: jsonBody(m.body), ends: undefined };
    // The writer's buffer is its own (never Node's shared small-buffer pool), so it can move.
    const bytes = out.bytes.buffer as ArrayBuffer;
    reply = { id: m.id, bytes, length: out.bytes.length, ...(out.ends ? { ends: out.ends } : {}) };
    transfer = [bytes];
  } catch (e) {
    reply = { id: m.id, error: (e as Error).message };
  }
  port.postMessage(reply, transfer);
});
