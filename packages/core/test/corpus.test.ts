import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCorpus, type IndexDocument } from '../src/index.js';
import { planShards } from '../src/store-kit.js';

const file = (name: string, content: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'tessera-corpus-')), name);
  writeFileSync(p, content);
  return p;
};

async function all(docs: AsyncIterable<IndexDocument>): Promise<IndexDocument[]> {
  const out: IndexDocument[] = [];
  for await (const d of docs) out.push(d);
  return out;
}

describe('corpus files', () => {
  it('cuts a file into shards whose documents, read by byte range, are the whole file', async () => {
    const lines = Array.from({ length: 53 }, (_, i) =>
      i % 10 === 4 ? '' : JSON.stringify({ id: `d${i}`, text: `text ${i} ünïcode`, n: i }),
    );
    const p = file('c.jsonl', `${lines.join('\r\n')}`); // CRLF, no newline at the end
    const plan = await planShards(p, 7);
    expect(plan.format).toBe('jsonl');
    expect(plan.ids).toEqual({ field: 'id' });
    expect(plan.lines).toBe(lines.filter(Boolean).length);
    expect(plan.shards.every((s, i) => s.lines === 7 || i === plan.shards.length - 1)).toBe(true);
    const whole = await all((await openCorpus(p)).documents);
    const pieces: IndexDocument[] = [];
    for (const s of plan.shards)
      pieces.push(...(await all((await openCorpus(p, { ids: plan.ids, range: s })).documents)));
    expect(pieces).toEqual(whole);
    expect(whole[0]).toEqual({ id: 'd0', text: 'text 0 ünïcode', seq: 1, metadata: { n: 0 } });
  });

  it('decides ids from the first record for every shard, and names a bad line by its number in the file', async () => {
    const p = file(
      'c.jsonl',
      `${JSON.stringify({ text: 'no id' })}\n${JSON.stringify({ text: 'b' })}\n${JSON.stringify({ text: 'c' })}\n{"text": 5}\n`,
    );
    const plan = await planShards(p, 2);
    expect(plan.ids).toBe('lines');
    const second = plan.shards[1]!;
    expect(second.firstLine).toBe(3);
    await expect(all((await openCorpus(p, { ids: plan.ids, range: second })).documents)).rejects.toThrow(
      `${p}:4: "text" must be a string, got number`,
    );
  });
});
