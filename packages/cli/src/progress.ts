/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    quiet: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = !quiet && !!stream.isTTY;
  }

  update(done: number, tokens: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const secs = Math.max((now - this.started) / 1000, 1e-3);
    const rate = done / secs;
    const width = 24;
    const frac = this.total ? Math.min(1, done / this.total) : 0;
    const bar = this.total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
    const eta = this.total && rate > 0 ? ` ETA ${Math.ceil((this.total - done) / rate)}s` : '';
    const line = `${this.label} ${bar} ${done}${this.total ? `/${this.total}` : ''} | ${rate.toFixed(1)} texts/s | ${(tokens / secs).toFixed(0)} tokens/s${eta}`;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}
