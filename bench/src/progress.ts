/**
 * The bench's progress line: elapsed time and an estimate of what is left, from each section's
 * duration in the previous full run of this machine (or a default), scaled by how this run's
 * finished sections compared with their estimates.
 */
export interface SectionPlan {
  name: string;
  /** Expected seconds. */
  estimate: number;
}

const clock = (s: number) => {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

export class BenchProgress {
  private readonly started: number;
  private current: { name: string; index: number; started: number } | undefined;
  readonly seconds: Record<string, number> = {};
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly plan: SectionPlan[],
    private readonly write: (line: string) => void,
    heartbeatMs = 30_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
    if (heartbeatMs > 0) {
      this.timer = setInterval(() => this.current && this.write(this.line('still running')), heartbeatMs);
      this.timer.unref();
    }
  }

  begin(name: string): void {
    const index = this.plan.findIndex((p) => p.name === name);
    this.current = { name, index, started: this.now() };
    this.write(this.line('started'));
  }

  end(): void {
    if (!this.current) return;
    this.seconds[this.current.name] = Math.round((this.now() - this.current.started) / 100) / 10;
    this.write(this.line('done'));
    this.current = undefined;
  }

  /** A line for a message inside the current section. */
  note(message: string): void {
    this.write(this.line(message));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Seconds left: unfinished sections' estimates times this run's pace so far. */
  left(): number {
    const done = this.plan.filter((p) => p.name in this.seconds);
    const estimated = done.reduce((a, p) => a + p.estimate, 0);
    const actual = done.reduce((a, p) => a + this.seconds[p.name]!, 0);
    const pace = estimated > 0 && actual > 0 ? actual / estimated : 1;
    let left = 0;
    for (const p of this.plan) {
      if (p.name in this.seconds) continue;
      const inside = this.current?.name === p.name ? (this.now() - this.current.started) / 1000 : 0;
      left += Math.max(0, p.estimate * pace - inside);
    }
    return left;
  }

  line(message: string): string {
    const elapsed = (this.now() - this.started) / 1000;
    const where = this.current ? `${this.current.name} (${this.current.index + 1}/${this.plan.length})` : 'bench';
    return `[${clock(elapsed)} elapsed, about ${clock(this.left())} left] ${where}: ${message}`;
  }
}
