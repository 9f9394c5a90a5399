/**
 * The HTTP floor for the serving section's concurrency-1 pairs: a bare node:http server (no
 * framework, no model) that reads a POST, keeps its thread busy for ?busy= ms as a forward pass
 * would, then answers ?bytes= bytes. What a client sees beyond the busy time is what any server
 * in another process costs on this machine: loopback, and waking a client that waited.
 * Prints the URL, exits on SIGTERM.
 */
import { createServer } from 'node:http';

const bodies = new Map<number, Buffer>();
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://floor');
  const busy = Number(url.searchParams.get('busy') ?? 0);
  const bytes = Number(url.searchParams.get('bytes') ?? 0);
  req.resume();
  req.on('end', () => {
    const t0 = performance.now();
    while (performance.now() - t0 < busy);
    let body = bodies.get(bytes);
    if (!body) bodies.set(bytes, (body = Buffer.alloc(bytes, 0x30)));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
