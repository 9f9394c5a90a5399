import { TesseraError } from '../errors.js';
import type { ModelSpec } from '../model/spec.js';
import type { Backend } from './types.js';

/**
 * The backend contract this core implements. What changed, by version:
 * 1: the first guide: forward() returns rows after the projection (DenseLayer: weight, bias, activation).
 * 2: DenseLayer gained `residual` (PyLate's use_residual), which a backend that applies the projection
 *    must add; and a loaded model may return the backbone's rows (`projected: false`) for core to project.
 */
export const BACKEND_CONTRACT = 2;

/** What changed since each version, for the message to a backend written for it. */
const CHANGES: Record<number, string> = {
  1: "contract 2 added DenseLayer.residual (PyLate's use_residual), which a backend applying the projection must add",
};

/**
 * Refuses a backend written for a contract this core does not implement: a newer one always; an
 * older one only for a model that uses what changed since (a v1 backend still runs every model
 * whose projection has no residual), with a message that says what changed and what to write.
 */
export function checkContract(backend: Backend, spec: ModelSpec): void {
  const version = backend.contract ?? 1;
  if (version > BACKEND_CONTRACT)
    throw new TesseraError(
      'BACKEND_CONTRACT',
      `backend "${backend.name}" implements backend contract ${version}; this @tessera/core implements ` +
        `${BACKEND_CONTRACT}: update @tessera/core`,
      { backend: backend.name, contract: version },
    );
  if (version >= 2) return;
  const residual = spec.projection.find((l) => l.residual !== undefined);
  if (!residual) return;
  throw new TesseraError(
    'BACKEND_CONTRACT',
    `backend "${backend.name}" was written for backend contract ${version}${backend.contract === undefined ? ' (it declares none)' : ''}; ` +
      `${CHANGES[version]}, and ${residual.source} has one. Add the residual and declare \`contract: ${BACKEND_CONTRACT}\`, ` +
      `or declare \`contract: ${BACKEND_CONTRACT}\` and return the backbone's rows with \`projected: false\` so that core ` +
      'applies the projection (see the backend guide)',
    { backend: backend.name, contract: version, layer: residual.source },
  );
}
