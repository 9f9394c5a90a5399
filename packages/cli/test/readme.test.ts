import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandTable, withTable } from '../src/readme-table.js';

const CLI = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe("the CLI README's command table", () => {
  it('is the one generated from the help text (run node packages/cli/dist/readme-table.js)', () => {
    expect(README).toBe(withTable(README));
  });

  it('lists every command the CLI runs, each with the first line of its own --help', () => {
    const rows = commandTable().split('\n').slice(2);
    for (const row of rows) {
      const usage = /^\| `tessera (\S+)([^`]*)` \|/.exec(row)!;
      if (usage[1] === 'bench') continue; // runs the bench package's own help, outside this CLI's
      const r = spawnSync(process.execPath, [CLI, usage[1]!, '--help'], { encoding: 'utf8', timeout: 600_000 });
      expect(r.status, `${usage[1]} --help`).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`Usage: tessera ${usage[1]}${usage[2]!.replaceAll('\\|', '|')}`);
    }
    // The commands main.ts dispatches are the ones the table lists.
    const main = readFileSync(new URL('../src/main.ts', import.meta.url), 'utf8');
    const block = main.slice(main.indexOf('const COMMANDS'), main.indexOf('\n};', main.indexOf('const COMMANDS')));
    const dispatched = [...block.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]);
    expect(rows.map((r) => /^\| `tessera (\S+)/.exec(r)![1])).toEqual(dispatched);
  });
});
