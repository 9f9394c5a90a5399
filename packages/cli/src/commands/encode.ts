import { existsSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { encodeNpy, encodeSafetensors, quantize, type DenseEmbedding, type TokenEmbeddings } from '@tessera/core';
import { writeFailureReason } from '@tessera/core/backend';
import { choice, intOption, MODEL_OPTIONS, parse } from '../args.js';
import { UsageError } from '../errors.js';
import { readInputs, type InputText } from '../input.js';
import { toJson } from '../ndjson.js';
import { openModel } from '../open-model.js';
import { ProgressBar } from '../progress.js';

export const encodeHelp = `Usage: tessera encode [TEXT...] [options]

Encode texts into ColBERT token embeddings (or dense vectors for dense models).
Texts come from arguments, --input FILE (one text per line, or JSONL with "text"
and optional "id": a .jsonl/.ndjson name, or a first line that starts with "{", as
tessera index decides), or stdin. Output: NDJSON on stdout, one line per input, in order:
  {"index": 0, "id": ..., "tokens": 12, "dim": 96, "embeddings": [[...], ...]}

Options:
  -m, --model ID|ORG/NAME|DIR  model (default: answerai-colbert-small-v1)
  -b, --backend NAME           onnx, native, tfjs, an installed backend package
                               (tessera-backend-*), or auto (default)
  -d, --device DEV             auto, cpu, cuda, cuda:N, mps (default auto)
      --as query|document      ColBERT role (default document)
      --dim N                  Matryoshka dimension the model declares
      --batch-size N           texts per forward pass
      --max-tokens N           padded tokens per forward pass
      --quantize binary|int8   quantize the token embeddings
  -i, --input FILE             read texts from FILE ('-' for stdin)
  -o, --output FILE            .jsonl/.ndjson, .safetensors, or .npy (one array)
      --resume                 continue an interrupted --output .jsonl run
      --skip-invalid           skip bad input lines (reported on stderr)
      --dtype D                    precision: fp16 / bf16 (native backend on a GPU;
                                   bf16 also on the cpu), q8 / fp16 (ONNX graphs); default fp32
      --threads N --strict --offline --quiet --debug

Examples:
  tessera encode "what is late interaction?" --as query
  tessera encode --input docs.jsonl --output docs.safetensors
  cat docs.txt | tessera encode --quantize binary > docs.ndjson

Without --output, nothing is printed until the run succeeds. With --output x.jsonl
the results go to x.jsonl.partial first; after a failure, --resume continues from it.`;

type Result = TokenEmbeddings | DenseEmbedding;

/** Counts complete lines of a partial NDJSON file (a cut-off last line is dropped). */
async function resumePoint(partial: string): Promise<number> {
  if (!existsSync(partial)) return 0;
  const text = await readFile(partial, 'utf8');
  const lines = text.split('\n');
  // The last element is either '' (after a final newline) or a line cut off mid-write.
  const good = lines.slice(0, -1).filter((l) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  }).length;
  await writeFile(
    partial,
    lines
      .slice(0, good)
      .map((l) => `${l}\n`)
      .join(''),
  );
  return good;
}

/** A write that failed (disk full, file size limit, permissions) as a runtime error that says what is where. */
function writeFailed(file: string, e: unknown, next: string): Error {
  return new Error(`cannot write ${file}: ${writeFailureReason(e)}; ${next}`, { cause: e });
}

export async function encodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('encode', argv, {
    ...MODEL_OPTIONS,
    as: { type: 'string' },
    'batch-size': { type: 'string' },
    'max-tokens': { type: 'string' },
    quantize: { type: 'string' },
    input: { type: 'string', short: 'i' },
    output: { type: 'string', short: 'o' },
    resume: { type: 'boolean' },
    'skip-invalid': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${encodeHelp}\n`);
    return 0;
  }
  const role = choice(values, 'as', ['query', 'document'] as const);
  const quant = choice(values, 'quantize', ['binary', 'int8'] as const);
  const batchSize = intOption(values, 'batch-size');
  const maxTokens = intOption(values, 'max-tokens');
  const output = values.output as string | undefined;
  const format = !output
    ? 'ndjson'
    : /\.(jsonl|ndjson)$/i.test(output)
      ? 'ndjson'
      : /\.safetensors$/i.test(output)
        ? 'safetensors'
        : /\.npy$/i.test(output)
          ? 'npy'
          : undefined;
  if (!format)
    throw new UsageError(`--output ${output}: unknown format`, 'use a .jsonl, .ndjson, .safetensors or .npy file name');
  if (values.resume && format !== 'ndjson') throw new UsageError('--resume works with --output FILE.jsonl only');
  if (values.resume && !output) throw new UsageError('--resume needs --output FILE.jsonl');
  const quiet = !!values.quiet;
  let skipped = 0;
  const inputs = await readInputs(positionals, values.input as string | undefined, !!values['skip-invalid'], (p) => {
    skipped++;
    if (!quiet) process.stderr.write(`skipped line ${p.line}: ${p.message}\n`);
  });

  const t = await openModel(values, { batchSize, maxTokens });
  try {
    const kind = t.kind === 'dense' ? 'dense' : (role ?? 'document');
    if (t.kind === 'dense' && role)
      throw new UsageError(`--as ${role} applies to ColBERT models; ${values.model ?? 'this model'} is a dense model`);
    const partial = output ? `${output}.partial` : undefined;
    const start = values.resume && partial ? await resumePoint(partial) : 0;
    if (!values.resume && partial) await rm(partial, { force: true });
    const bar = new ProgressBar(`encoding ${kind}s`, inputs.length, quiet);
    const stream = t.encodeStream(
      inputs.slice(start).map((x) => x.text),
      { as: kind, onProgress: (p) => bar.update(start + p.done, p.tokens) },
    );
    const results: Result[] = [];
    const lines: string[] = [];
    const fh = partial && format === 'ndjson' ? await open(partial, 'a') : undefined;
    let written = start;
    try {
      for await (const r0 of stream) {
        const r = { ...r0, index: r0.index + start } as Result;
        const q = quant && 'rows' in r ? quantize(r, quant) : undefined;
        if (format === 'ndjson') {
          const line = toJson(r, inputs[r.index]!, q);
          if (fh) {
            try {
              await fh.write(`${line}\n`);
            } catch (e) {
              throw writeFailed(
                partial!,
                e,
                `${written} of ${inputs.length} results are in it; free space and run the same command with --resume to continue`,
              );
            }
            written++;
          } else lines.push(line);
        } else results.push(r);
      }
    } finally {
      await fh?.close();
      bar.done();
    }
    if (format === 'ndjson') {
      if (partial) await rename(partial, output!);
      else process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    } else {
      const bytes =
        format === 'safetensors' ? safetensorsOf(results, inputs, quant, t.spec.dir, kind) : npyOf(results, quant);
      try {
        await writeFile(partial!, bytes);
      } catch (e) {
        // A cut-short .safetensors / .npy cannot be continued: remove it, keep nothing half-written.
        await rm(partial!, { force: true });
        throw writeFailed(
          output!,
          e,
          `it needs ${bytes.length} bytes; nothing was left under ${output}; free space and run the command again`,
        );
      }
      await rename(partial!, output!);
    }
    if (skipped && !quiet) process.stderr.write(`skipped ${skipped} invalid line${skipped === 1 ? '' : 's'}\n`);
    if (output && !quiet) process.stderr.write(`wrote ${inputs.length} embeddings to ${output}\n`);
    return 0;
  } finally {
    await t.dispose();
  }
}

function safetensorsOf(
  results: Result[],
  inputs: InputText[],
  quant: 'binary' | 'int8' | undefined,
  model: string,
  role: string,
): Buffer {
  const meta: Record<string, string> = { model, role, format: 'tessera-embeddings-v1' };
  const ids = inputs.map((x) => x.id ?? null);
  if (ids.some((x) => x !== null)) meta.ids = JSON.stringify(ids);
  if (results.every((r) => !('rows' in r))) {
    const dense = results as DenseEmbedding[];
    const dim = dense[0]?.dim ?? 0;
    const data = new Float32Array(dense.length * dim);
    dense.forEach((r, i) => data.set(r.data, i * dim));
    return encodeSafetensors({ embeddings: { dtype: 'F32', shape: [dense.length, dim], data } }, meta);
  }
  const rows = results as TokenEmbeddings[];
  const dim = rows[0]?.dim ?? 0;
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.rows));
  const total = offsets[rows.length]!;
  const tokenIds = new Int32Array(total);
  rows.forEach((r, i) => tokenIds.set(r.tokenIds, offsets[i]!));
  meta.layout = 'rows of all texts concatenated; text i owns rows offsets[i]..offsets[i+1]';
  const tensors: Parameters<typeof encodeSafetensors>[0] = {
    offsets: { dtype: 'I32', shape: [rows.length + 1], data: offsets },
    token_ids: { dtype: 'I32', shape: [total], data: tokenIds },
  };
  if (quant) {
    const qs = rows.map((r) => quantize(r, quant));
    const stride = qs[0]?.stride ?? 0;
    const data = quant === 'binary' ? new Uint8Array(total * stride) : new Int8Array(total * stride);
    qs.forEach((q, i) => data.set(q.data as never, offsets[i]! * stride));
    tensors.embeddings = { dtype: quant === 'binary' ? 'U8' : 'I8', shape: [total, stride], data };
    if (quant === 'int8') {
      const scales = new Float32Array(total);
      qs.forEach((q, i) => scales.set(q.scales!, offsets[i]!));
      tensors.scales = { dtype: 'F32', shape: [total], data: scales };
    }
    meta.quantization = quant;
  } else {
    const data = new Float32Array(total * dim);
    rows.forEach((r, i) => data.set(r.data, offsets[i]! * dim));
    tensors.embeddings = { dtype: 'F32', shape: [total, dim], data };
  }
  return encodeSafetensors(tensors, meta);
}

function npyOf(results: Result[], quant: 'binary' | 'int8' | undefined): Buffer {
  if (quant)
    throw new UsageError(
      '--quantize with .npy output is not supported',
      'use .safetensors, which keeps the int8 scales',
    );
  if (results.every((r) => !('rows' in r))) {
    const dense = results as DenseEmbedding[];
    const dim = dense[0]?.dim ?? 0;
    const data = new Float32Array(dense.length * dim);
    dense.forEach((r, i) => data.set(r.data, i * dim));
    return encodeNpy(data, [dense.length, dim]);
  }
  const rows = results as TokenEmbeddings[];
  const n = rows[0]?.rows ?? 0;
  if (rows.some((r) => r.rows !== n))
    throw new UsageError(
      '.npy holds one array, but these texts have different numbers of rows',
      'use .safetensors for document embeddings (it stores row offsets), or --as query',
    );
  const dim = rows[0]?.dim ?? 0;
  const data = new Float32Array(rows.length * n * dim);
  rows.forEach((r, i) => data.set(r.data, i * n * dim));
  return encodeNpy(data, [rows.length, n, dim]);
}
