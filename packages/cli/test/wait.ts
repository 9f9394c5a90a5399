import type { ChildProcess } from 'node:child_process';

/**
 * Waits until `ok()` holds: tests wait on the state they test, never on a fixed sleep. Fails at
 * once, with its stderr, when `child` exits first; `hangMs` is a generous limit for a hang, with a
 * message saying what never happened, not a speed check. On a hang the child is killed, so a
 * failed test leaves no process behind.
 */
export async function waitFor(
  what: string,
  ok: () => boolean | Promise<boolean>,
  options: { child?: ChildProcess; stderr?: () => string; hangMs?: number } = {},
): Promise<void> {
  const { child, stderr, hangMs = 240_000 } = options;
  const started = Date.now();
  while (!(await ok())) {
    if (child && child.exitCode !== null)
      throw new Error(`the command exited (${child.exitCode}) before ${what}${stderr ? `: ${stderr()}` : ''}`);
    if (child && child.signalCode !== null)
      throw new Error(`the command was killed (${child.signalCode}) before ${what}${stderr ? `: ${stderr()}` : ''}`);
    if (Date.now() - started > hangMs) {
      child?.kill('SIGKILL');
      throw new Error(`no ${what} after ${hangMs / 1000} s: a hang${stderr ? `; stderr: ${stderr()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
