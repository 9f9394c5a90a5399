/** What runDeviceLoops needs: where batches come from, how one runs on a device, what follows. */
export interface DeviceLoops<D, B, R> {
  devices: readonly D[];
  /** The next batch, or undefined when none waits now; it may wait for arrivals (a server's queue). */
  next: () => B | undefined | Promise<B | undefined>;
  /** Starts a batch on a device (the forward pass). */
  start: (device: D, batch: B) => Promise<R>;
  /** Hands a finished batch on (post-processing); runs while the device computes the next one. */
  finish: (device: D, batch: B, result: R, ms: number) => void;
  /**
   * With it, a batch's failure (in start or finish) reaches exactly that batch here and every
   * device goes on; without it, the first failure ends the run and is thrown.
   */
  onError?: (error: unknown, batch: B) => void;
}

/**
 * Runs batches pulled from one queue on several devices: a loop per device, each pipelined (as
 * soon as a forward pass returns, the next batch is pulled and started, and only then is the
 * finished one handed on). A device that finds the queue empty while another still computes
 * waits for that batch to end and asks again, so work that arrives later reaches every device;
 * the run ends when the queue is empty and no device holds a batch.
 */
export async function runDeviceLoops<D, B, R>(o: DeviceLoops<D, B, R>): Promise<void> {
  let failed = false;
  let busy = 0;
  const waiting: Array<() => void> = [];
  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };
  const pull = async () => (failed ? undefined : o.next());
  const begin = (device: D, batch: B | undefined) => {
    if (batch === undefined) return undefined;
    const t0 = performance.now();
    const result = o.start(device, batch);
    // Read where the batch is awaited; this keeps a failure that comes while the loop hands on the
    // batch before (or after another device failed) from counting as unhandled.
    result.catch(() => undefined);
    return { batch, t0, result };
  };
  const loop = async (device: D) => {
    for (;;) {
      let current = begin(device, await pull());
      if (!current) {
        if (failed || busy === 0) return;
        await new Promise<void>((r) => waiting.push(r));
        continue;
      }
      busy++;
      try {
        while (current) {
          let result: R;
          try {
            result = await current.result;
          } catch (e) {
            if (!o.onError) throw e;
            o.onError(e, current.batch);
            wake();
            current = begin(device, await pull());
            continue;
          }
          const ms = performance.now() - current.t0;
          wake();
          const finished = current;
          current = begin(device, await pull());
          try {
            o.finish(device, finished.batch, result, ms);
          } catch (e) {
            if (!o.onError) throw e;
            o.onError(e, finished.batch);
          }
        }
      } finally {
        busy--;
        wake();
      }
    }
  };
  // Without onError the first failure wins; the other devices stop pulling at their next batch.
  await Promise.all(
    o.devices.map((d) =>
      loop(d).catch((e) => {
        failed = true;
        wake();
        throw e;
      }),
    ),
  );
}
