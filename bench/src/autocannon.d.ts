// autocannon ships no types; the part of its API the serving bench uses.
declare module 'autocannon' {
  interface Instance extends PromiseLike<{ errors: number; timeouts: number; duration: number }> {
    on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  }
  export default function autocannon(options: Record<string, unknown>): Instance;
}
