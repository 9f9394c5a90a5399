import { readFileSync, writeFileSync } from 'node:fs';
import { demoHelp } from './commands/demo.js';
import { encodeHelp } from './commands/encode.js';
import { exportHelp } from './commands/export.js';
import { indexHelp } from './commands/index-corpus.js';
import { backendsHelp, modelsHelp, pullHelp } from './commands/info.js';
import { rerankHelp, scoreHelp } from './commands/score.js';
import { searchHelp } from './commands/search.js';
import { serveHelp } from './commands/serve.js';
import { workerHelp } from './commands/worker.js';
import { HELP } from './help.js';

/** Each command's own help, whose first line is its usage. */
const USAGE: Record<string, string> = {
  encode: encodeHelp,
  score: scoreHelp,
  rerank: rerankHelp,
  index: indexHelp,
  search: searchHelp,
  worker: workerHelp,
  serve: serveHelp,
  models: modelsHelp,
  backends: backendsHelp,
  pull: pullHelp,
  export: exportHelp,
  demo: demoHelp,
  bench: 'Usage: tessera bench [options]',
};

const START = '<!-- commands:start (generated from the help text: node packages/cli/dist/readme-table.js) -->';
const END = '<!-- commands:end -->';

/** The README's command table: every command `tessera --help` lists, its usage line and summary. */
export function commandTable(): string {
  const lines = HELP.slice(HELP.indexOf('Commands:\n') + 10, HELP.indexOf('\n\n', HELP.indexOf('Commands:\n')));
  const rows = lines.split('\n').map((l) => {
    const m = /^ {2}(\S+) +(.+)$/.exec(l);
    if (!m) throw new Error(`tessera --help: cannot read the command line ${JSON.stringify(l)}`);
    const help = USAGE[m[1]!];
    if (!help) throw new Error(`tessera --help lists "${m[1]}", which has no help text here`);
    const usage = help
      .split('\n')[0]!
      .replace(/^Usage: /, '')
      .replace(/\|/g, '\\|');
    return `| \`${usage}\` | ${m[2]} |`;
  });
  return ['| command | what it does |', '| --- | --- |', ...rows].join('\n');
}

/** The README with its command table replaced by the generated one. */
export function withTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`the README has no ${START} ... ${END} block`);
  return `${readme.slice(0, a + START.length)}\n${commandTable()}\n${readme.slice(b)}`;
}

/** `node dist/readme-table.js`: rewrites packages/cli/README.md's table. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, withTable(readFileSync(path, 'utf8')));
}
