/**
 * CI sweep, classic storage contract (Ready → persist → send → apply → advance).
 */
import { describe, it } from 'node:test';
import { CI_SEEDS, sweep } from './sweep.js';

describe('simulator sweep (classic)', () => {
  it(`passes ${CI_SEEDS} seeds`, { timeout: 300_000 }, (t) => sweep(t, 'classic'));
});
