import { Tessera, type DocumentScorer, type TokenEmbeddings } from '@tessera/core';
import '@tessera/backend-web';
import { forgetVectors, readVectors, textKey, writeVectors } from './vector-cache.js';

interface Passage {
  id: string;
  source: string;
  text: string;
}
export interface Hit {
  id: string;
  source: string;
  text: string;
  score: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
// ?model=<URL of a model folder, or a Hugging Face …/resolve/main URL>&device=wasm|webgpu
const model = params.get('model') ?? new URL('models/colbert-pylate', location.href).href;
const device = params.get('device') ?? 'auto';

// What the progress bar showed, in order (the page test reads it).
const shown: string[] = [];
function progress(label: string, done: number, total: number): void {
  if (shown[shown.length - 1] !== label) shown.push(label);
  $('progress-label').textContent = label;
  const bar = $<HTMLProgressElement>('progress');
  bar.max = Math.max(1, total);
  bar.value = done;
}

async function encodeAll(t: Tessera, passages: Passage[]): Promise<{ vectors: TokenEmbeddings[]; encoded: number }> {
  const keys = passages.map((p) => `${t.modelRef}|${t.dimension}|${p.id}|${textKey(p.text)}`);
  const vectors = await readVectors(keys);
  const missing = vectors.flatMap((v, i) => (v ? [] : [i]));
  const chunk = 16;
  for (let start = 0; start < missing.length; start += chunk) {
    const part = missing.slice(start, start + chunk);
    progress(`Encoding passages: ${start} of ${missing.length}`, start, missing.length);
    const out = await t.encodeDocuments(part.map((i) => passages[i]!.text));
    part.forEach((i, j) => (vectors[i] = { ...out[j]!, index: i }));
    await writeVectors(part.map((i) => [keys[i]!, vectors[i]!]));
  }
  return { vectors: vectors as TokenEmbeddings[], encoded: missing.length };
}

async function start() {
  const warnings: string[] = [];
  progress('Loading the model…', 0, 1);
  const t = await Tessera.create({
    model,
    backend: 'web',
    device,
    backendOptions: { wasmPaths: new URL('ort/', location.href).href },
    onWarning: (m) => warnings.push(m),
    onDownloadProgress: (p) => progress(`Fetching ${p.file}`, p.loaded, p.total ?? p.loaded),
  });
  $('engine').textContent =
    `${t.engine} · device ${t.device} · ${crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated'}` +
    (warnings.length ? ` · ${warnings.join(' · ')}` : '');
  const passages = (await (await fetch('passages.json')).json()) as Passage[];
  const began = performance.now();
  const { vectors, encoded } = await encodeAll(t, passages);
  const scorer: DocumentScorer = await t.scorer(vectors);
  $('loading').hidden = true;
  $('summary').textContent =
    `${passages.length} passages ready (${encoded ? `${encoded} encoded in ${((performance.now() - began) / 1000).toFixed(1)} s` : 'all from IndexedDB'}).`;

  const search = async (query: string, k = 10): Promise<Hit[]> => {
    if (!query.trim()) return [];
    const [q] = await t.encodeQueries([query]);
    return (await scorer.topK(q!, k)).map((r) => ({ ...passages[r.index]!, score: r.score }));
  };
  let latest = 0;
  const render = async () => {
    const mine = ++latest;
    const query = $<HTMLInputElement>('query').value;
    const hits = await search(query);
    if (mine !== latest) return; // a newer keystroke answered already
    $('results').replaceChildren(
      ...hits.map((h) => {
        const li = document.createElement('li');
        li.innerHTML = '<span class="score"></span><div class="text"></div><div class="source"></div>';
        li.querySelector('.score')!.textContent = h.score.toFixed(2);
        li.querySelector('.text')!.textContent = h.text.length > 280 ? `${h.text.slice(0, 277)}…` : h.text;
        li.querySelector('.source')!.textContent = h.source;
        return li;
      }),
    );
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const input = $<HTMLInputElement>('query');
  input.disabled = false;
  input.focus();
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(render, 120);
  });
  $('forget').addEventListener('click', async () => {
    await forgetVectors();
    $('summary').textContent = 'Stored vectors forgotten; a reload encodes the passages again.';
  });
  return { search, encoded, engine: t.engine, device: t.device, passages: passages.length };
}

// The page test reads this: when the page is ready, and the same ranking the page shows.
const ready = start().catch((e: Error) => {
  $('progress-label').textContent = `Failed: ${e.message}`;
  throw e;
});
Object.assign(window, { tesseraExample: { ready, progress: shown } });
