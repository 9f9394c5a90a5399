import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Hub settings from the same environment variables huggingface_hub reads. */
export interface HubSettings {
  endpoint: string;
  cacheDir: string;
  offline: boolean;
  token: string | undefined;
  /** Milliseconds without a byte before a request is abandoned. */
  timeoutMs: number;
  retries: number;
}

const truthy = (v: string | undefined): boolean =>
  v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

/** The token `huggingface-cli login` / `hf auth login` stores ($HF_HOME/token), if any. */
function tokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function hubSettings(overrides: Partial<HubSettings> = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  const cacheDir = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome, 'hub');
  return {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    cacheDir,
    offline: truthy(env.HF_HUB_OFFLINE),
    token: env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? tokenFile(env.HF_TOKEN_PATH ?? join(hfHome, 'token')),
    timeoutMs: Number(env.TESSERA_HUB_TIMEOUT_MS ?? 30_000),
    retries: 2,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}
