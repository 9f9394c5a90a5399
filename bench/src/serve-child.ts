/**
 * A server in its own process for the serving section: the load generator must not share the
 * server's event loop, as it would in one process (a client's JSON and socket work would count
 * as the server's). argv[2]: {"model","threads","limits"}; prints the URL, exits on SIGTERM.
 */
import { Tessera, type BatchLimits } from '@tessera/core';
import { createServer } from '@tessera/server';

const { model, threads, limits, batch } = JSON.parse(process.argv[2]!) as {
  model: string;
  threads: number;
  limits: Record<string, number>;
  batch?: Partial<BatchLimits>;
};
const t = await Tessera.create({ model, backend: 'onnx', device: 'cpu', threads, ...(batch ? { batch } : {}) });
const server = await createServer({ models: [t], limits, disposeModels: true });
process.stdout.write(`${await server.listen({ port: 0 })}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
