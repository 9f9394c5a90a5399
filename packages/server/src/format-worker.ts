/** A formatting thread of FormatPool: writes each response value it is sent as JSON bytes. */
import { parentPort } from 'node:worker_threads';
import { jsonBody } from './json-body.js';

export interface FormatRequest {
  id: number;
  value: unknown;
}

export type FormatReply = { id: number; bytes: ArrayBuffer; length: number } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('format-worker.js runs as a worker thread of @tessera/server');
port.on('message', ({ id, value }: FormatRequest) => {
  let reply: FormatReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const body = jsonBody(value);
    // jsonBody's buffer is its own (never Node's shared small-buffer pool), so it can move.
    const bytes = body.buffer as ArrayBuffer;
    reply = { id, bytes, length: body.length };
    transfer = [bytes];
  } catch (e) {
    reply = { id, error: (e as Error).message };
  }
  port.postMessage(reply, transfer);
});
