import cliProgress from 'cli-progress';

const rate = (n: number, secs: number) => (n / Math.max(secs, 1e-3)).toFixed(1);

/**
 * A one-line progress bar on stderr (cli-progress), drawn only when stderr is a terminal.
 * `update(done, tokens)` for a known number of texts; `track(fraction, fields)` for work measured
 * some other way (an indexer's bytes of input read), with its own fields on the line.
 */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private running = false;

  constructor(
    label: string,
    private readonly total: number | undefined,
    quiet: boolean,
    stream: NodeJS.WriteStream = process.stderr,
    format?: string,
  ) {
    if (quiet || !stream.isTTY) return;
    const fmt =
      format ??
      `${label} ${total ? '{bar} {value}/{total}' : '{value}'} | {rate} texts/s | {tokensRate} tokens/s${total ? ' | ETA {eta_formatted}' : ''}`;
    this.bar = new cliProgress.SingleBar(
      { stream, format: fmt, barsize: 24, hideCursor: false, clearOnComplete: true, etaBuffer: 50, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
  }

  private ensure(total: number, value: number, payload: Record<string, unknown>): void {
    if (!this.bar) return;
    if (!this.running) {
      this.bar.start(total, value, payload);
      this.running = true;
    } else this.bar.update(value, payload);
  }

  update(done: number, tokens: number): void {
    const secs = (Date.now() - this.started) / 1000;
    this.ensure(this.total ?? 0, done, {
      rate: rate(done, secs),
      tokensRate: (tokens / Math.max(secs, 1e-3)).toFixed(0),
    });
  }

  /** Progress as a fraction of 1000 steps, with the format's own fields. */
  track(fraction: number, fields: Record<string, string | number>): void {
    this.ensure(1000, Math.round(Math.min(1, Math.max(0, fraction)) * 1000), fields);
  }

  done(): void {
    if (this.running) this.bar!.stop();
    this.running = false;
  }
}
