/**
 * A queue worker in its own process for the queue section (what `tessera worker` runs, without
 * the CLI: the bench package sits below it). argv[2]: {"queue","threads"}; exits on SIGTERM.
 */
import { startWorkers } from '@tessera/queue';

const { queue, threads } = JSON.parse(process.argv[2]!) as { queue: string; threads: number };
const workers = await startWorkers({ queue, device: 'cpu', backend: 'onnx', threads });
process.once('SIGTERM', () => void workers.close().then(() => process.exit(0)));
