/**
 * CI sweep, asynchronous storage writes (MsgStorageAppend / MsgStorageApply to local threads).
 */
import { describe, it } from 'node:test';
import { CI_SEEDS, sweep } from './sweep.js';

describe('simulator sweep (async storage writes)', () => {
  it(`passes ${CI_SEEDS} seeds`, { timeout: 300_000 }, (t) => sweep(t, 'async'));
});
