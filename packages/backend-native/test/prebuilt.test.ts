import { describe, expect, it } from 'vitest';
import { mismatch } from '../scripts/prebuilt.mjs';

describe('choosing the prebuilt addon at install time', () => {
  const built = { lib: '/usr/lib/x86_64-linux-gnu', cuda: false, version: '1.13.0' };
  it('takes it only when libtorch is found in the same place, at the same version, with the same CUDA', () => {
    expect(mismatch(built, { ...built })).toBe('');
    expect(mismatch(undefined, built)).toMatch(/no prebuilt/);
    expect(mismatch(built, undefined)).toMatch(/libtorch not found/);
    expect(mismatch(built, { ...built, version: '2.5.1' })).toMatch(/version 1\.13\.0.*has 2\.5\.1/);
    expect(mismatch(built, { ...built, lib: '/opt/libtorch/lib' })).toMatch(/lib \/usr\/lib/);
    expect(mismatch(built, { ...built, cuda: true })).toMatch(/cuda false/);
  });
});
