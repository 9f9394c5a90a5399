import type { Backend } from '@tessera/core';
import { runConformanceSuite } from '@tessera/core/conformance';
import { fixtureList } from '@tessera/fixtures';
import { backend } from '../src/index.js';

/**
 * The example backend without its projection: it returns the backbone's rows with
 * `projected: false`, and core applies the projection (activations and residuals included). The
 * suite's goldens hold on the fixtures whose projections have them.
 */
const backbone: Backend = {
  ...backend,
  name: 'js-backbone',
  async load(spec, options) {
    const m = await backend.load({ ...spec, projection: [] }, options);
    return {
      device: m.device,
      engine: `${m.engine}, projection by core`,
      projected: false,
      forward: (b) => m.forward(b),
      dispose: () => m.dispose(),
    };
  },
};

// BERT fixtures (what the example runs), with residual and activation projections among them.
const names = ['stanford', 'pylate', 'pylate-bert-activations', 'stanford-defaults'];
runConformanceSuite({ backend: backbone, fixtures: fixtureList.filter((f) => names.includes(f.name)) });
