import { loadModelSpec, resolveModel } from '@tessera/core';
import type { ExportDtype } from '@tessera/backend-onnx';
import { choice, intOption, parse, printHelp } from '../args.js';
import { UsageError } from '../errors.js';

export const exportHelp = `Usage: tessera export --model M [--to DIR] [--dtype fp32|q8|fp16] [--opset N] [--projection] [--force] [--json]

Write a model's encoder as an ONNX graph from its safetensors weights (BERT, DistilBERT,
RoBERTa, XLM-RoBERTa, ModernBERT), with no Python: dynamic batch and sequence axes, the
inputs the ONNX backend feeds, and export.json saying what made it.

Without --to the graph goes where the ONNX backend looks on first use (Tessera's cache,
$TESSERA_CACHE or ~/.cache/tessera), so later runs load it at once; the backend also exports
by itself when a folder has no graph.

Options:
  --model, -m M     registry id, Hugging Face repo id or folder (default: the default model)
  --to DIR          folder to write into (refused when it holds another model, unless --force)
  --dtype D         fp32 (default); q8: int8 linear weights, activations quantized per call
                    (per-column symmetric scales); fp16: half-size weights, computed in float32
  --opset N         ONNX opset, 17 to 21 (default 17)
  --projection      end the graph in the ColBERT projection and normalization (needs --to)
  --force           write into a --to folder that holds something else
  --json            print the result as one JSON object

Examples:
  tessera export --model colbertv2.0 --dtype q8
  tessera export --model ./my-colbert --to ./my-colbert/onnx --projection`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('export', argv, {
    model: { type: 'string', short: 'm' },
    to: { type: 'string' },
    dtype: { type: 'string' },
    opset: { type: 'string' },
    projection: { type: 'boolean' },
    force: { type: 'boolean' },
    offline: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return printHelp(exportHelp);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, 'give the model with --model');
  if (values.offline) process.env.HF_HUB_OFFLINE = '1';
  const dtype = choice<ExportDtype>(values, 'dtype', ['fp32', 'q8', 'fp16']) ?? 'fp32';
  const opset = intOption(values, 'opset', 1);
  const projection = !!values.projection;
  if (projection && !values.to)
    throw new UsageError(
      '--projection needs --to: the cache holds backbone graphs, to which the backend adds the projection',
    );
  const quiet = !!values.quiet;
  // Loaded here, not with the CLI: a broken onnxruntime install must not stop the other commands.
  const { exportCacheDir, exportOnnx } = await import('@tessera/backend-onnx');
  const { dir } = await resolveModel(values.model as string | undefined);
  const spec = await loadModelSpec(dir);
  const to = (values.to as string | undefined) ?? (await exportCacheDir(spec));
  const started = performance.now();
  const say = (stage: string) => {
    if (!quiet) process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s  ${stage}\n`);
  };
  const r = await exportOnnx(spec, to, {
    dtype,
    opset,
    projection,
    force: !!values.force || !values.to,
    onProgress: (stage) =>
      say(
        stage === 'weights'
          ? `reading ${spec.weightsFile}`
          : stage === 'graph'
            ? `building the ${spec.modelType} graph (${dtype})`
            : `writing ${to}`,
      ),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else
    process.stdout.write(
      `exported ${spec.dir} (${r.architecture}, ${r.dtype}, opset ${r.opset}${r.projection ? ', with the projection' : ''}) ` +
        `in ${r.seconds.toFixed(1)} s: ${r.file} (${(r.bytes / 1e6).toFixed(1)} MB)\n`,
    );
  return 0;
}
