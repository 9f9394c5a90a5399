// How to install each first-party backend with npm, pnpm and yarn: the same lines as the
// backends' READMEs, printed by `tessera backends` for a backend that is missing or whose
// install did not finish (an install script skipped or failed).
const ADVICE: Record<string, string[]> = {
  '@tessera/backend-onnx': [
    'npm:  ONNXRUNTIME_NODE_INSTALL=skip npm i @tessera/backend-onnx   (skip: onnxruntime-node would download the CUDA provider; the CPU one is bundled)',
    'pnpm: put `allowBuilds: { onnxruntime-node: false }` in pnpm-workspace.yaml, then pnpm add @tessera/backend-onnx',
    'yarn: ONNXRUNTIME_NODE_INSTALL=skip yarn add @tessera/backend-onnx',
  ],
  '@tessera/backend-native': [
    'first libtorch: apt-get install libtorch-dev libopenblas0-pthread (Debian/Ubuntu), or unpack libtorch from pytorch.org and set LIBTORCH',
    'npm:  npm i @tessera/backend-native   (builds the addon; after installing libtorch later: npm rebuild @tessera/backend-native)',
    "pnpm: put `allowBuilds: { '@tessera/backend-native': true }` in pnpm-workspace.yaml (or run pnpm approve-builds), then pnpm add @tessera/backend-native",
    'yarn: yarn add @tessera/backend-native',
  ],
  '@tessera/backend-tfjs': [
    'npm i @tessera/backend-tfjs (WASM engine); add @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu for native TensorFlow',
    'pnpm add / yarn add the same packages',
  ],
};

export function installAdvice(packageName: string): string[] {
  return ADVICE[packageName] ?? [`npm i ${packageName}`];
}
