import {
  backendStatus,
  cachedSnapshot,
  getBackend,
  hubSettings,
  listModels,
  resolveAutoBackend,
  resolveModel,
} from '@tessera/core';
import { MODEL_OPTIONS, parse, printHelp } from '../args.js';
import { installAdvice } from '../install-advice.js';
import { UsageError } from '../errors.js';
import { table } from '../table.js';

export const modelsHelp = `Usage: tessera models [--json]

The model registry: id, kind, dimension, which backends can run each model, whether it
is already in the Hugging Face cache, and its license.`;

export const backendsHelp = `Usage: tessera backends [--json]

Installed backends with their devices; for each missing one, the command that installs it.`;

export const pullHelp = `Usage: tessera pull MODEL [--backend NAME]

Download a model (registry id or org/name[@revision]) into the Hugging Face cache,
fetching only the files the backend needs. Honours HF_ENDPOINT, HF_HOME, HF_HUB_CACHE
and HF_TOKEN.

Example:
  tessera pull answerai-colbert-small-v1 --backend onnx`;

export async function modelsCommand(argv: string[]): Promise<number> {
  const { values } = parse('models', argv, { json: { type: 'boolean' } });
  if (values.help) return printHelp(modelsHelp);
  const s = hubSettings();
  const rows = await Promise.all(
    listModels().map(async (m) => ({ ...m, cached: !!(await cachedSnapshot(s, m.repo, m.revision)) })),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else
    process.stdout.write(
      table(
        ['id', 'kind', 'dim', 'backends', 'cached', 'license', 'repo'],
        rows.map((m) => [
          m.id + (m.default ? ' (default)' : ''),
          m.kind,
          m.dimensions.join('/'),
          Object.keys(m.backends).join(','),
          m.cached ? 'yes' : 'no',
          m.license,
          m.repo,
        ]),
      ),
    );
  return 0;
}

export async function backendsCommand(argv: string[]): Promise<number> {
  const { values } = parse('backends', argv, { json: { type: 'boolean' } });
  if (values.help) return printHelp(backendsHelp);
  const status = await backendStatus();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    table(
      ['backend', 'status', 'devices'],
      status.map((b) => [
        b.name,
        b.installed ? 'installed' : b.problemCode === 'BACKEND_NOT_INSTALLED' ? 'missing' : 'failed to load',
        b.installed
          ? b.devices!.map((d) => `${d.id}${d.available ? '' : ' (unavailable)'}`).join(', ')
          : b.problemCode === 'BACKEND_NOT_INSTALLED'
            ? `npm i ${b.packageName}`
            : 'none (why: below)',
      ]),
    ),
  );
  for (const b of status)
    for (const d of b.devices ?? [])
      if (!d.available && d.detail) process.stdout.write(`\n${b.name} ${d.id}: ${d.detail}\n`);
  // An installed package that failed to load: its reason. A missing one, or one whose install did not
  // finish (no usable cpu): how to install it.
  for (const b of status)
    if (!b.installed && b.problemCode !== 'BACKEND_NOT_INSTALLED') process.stdout.write(`\n${b.name}: ${b.problem}\n`);
  for (const b of status) {
    if (!b.installed && b.problemCode !== 'BACKEND_NOT_INSTALLED') continue;
    const broken = b.installed && !b.devices?.some((d) => d.id === 'cpu' && d.available);
    if (!b.installed || broken)
      process.stdout.write(
        `\n${b.name}: ${b.installed ? 'installed, but its install did not finish' : `not installed${b.problem ? ` (${b.problem})` : ''}`}. ` +
          `To install ${b.packageName}:\n${installAdvice(b.packageName)
            .map((l) => `  ${l}`)
            .join('\n')}\n`,
      );
  }
  return 0;
}

export async function pullCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('pull', argv, { backend: MODEL_OPTIONS.backend!, dtype: MODEL_OPTIONS.dtype! });
  if (values.help) return printHelp(pullHelp);
  if (positionals.length !== 1) throw new UsageError('give exactly one model to pull', 'see `tessera pull --help`');
  const quiet = !!values.quiet;
  // The backend names the weight files it loads (its files()); the others are the same for all.
  const name = (values.backend as string | undefined) ?? 'onnx';
  const backend = name === 'auto' ? (await resolveAutoBackend()).backend : await getBackend(name);
  const r = await resolveModel(positionals[0], {
    files: backend.files?.bind(backend),
    dtype: values.dtype as string | undefined,
    onProgress: (p) => {
      if (quiet) return;
      if (process.stderr.isTTY)
        process.stderr.write(
          `\r\x1b[2K${p.file}: ${(p.loaded / 1e6).toFixed(1)}${p.total ? ` / ${(p.total / 1e6).toFixed(1)}` : ''} MB`,
        );
    },
  });
  if (!quiet && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  if (r.source === 'local') process.stdout.write(`${r.dir} is a local folder; nothing to download\n`);
  else process.stdout.write(`${r.repo}@${r.revision} is in ${r.dir}\n`);
  return 0;
}
