/**
 * pino loads only when a default logger is created: importing an area that merely accepts a
 * Logger (raftwire/wal, raftwire/snap, …) must not load it. Each case runs in a fresh child
 * process, whose CommonJS module cache shows whether pino's files were loaded.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));

/** Imports `doors` (paths under dist/src) in a fresh process, runs `then`, reports whether pino is loaded. */
function pinoLoadedAfter(doors: readonly string[], then = ''): Promise<boolean> {
  const imports = doors
    .map((d) => `await import(${JSON.stringify(pathToFileURL(srcDir + d).href)});`)
    .join('\n');
  const script = `
    import { createRequire } from 'node:module';
    ${imports}
    ${then}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(cache.some((f) => /[\\\\/]node_modules[\\\\/]pino[\\\\/]/.test(f))));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: srcDir, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`child failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as boolean);
      },
    );
  });
}

describe('pino loads lazily', () => {
  it('importing raftwire/wal does not load pino', async () => {
    assert.equal(await pinoLoadedAfter(['wal/index.js']), false);
  });

  it('importing raftwire/snap, raft, raftpb, crc32c and logger does not load pino', async () => {
    const doors = ['snap/index.js', 'raft/index.js', 'raftpb/index.js', 'crc32c/index.js', 'logger/index.js'];
    assert.equal(await pinoLoadedAfter(doors), false);
  });

  it('createLogger loads it (the check sees pino when it is there)', async () => {
    const logger = JSON.stringify(pathToFileURL(`${srcDir}logger/index.js`).href);
    const then = `(await import(${logger})).createLogger({ level: 'silent' }).info({}, 'x');`;
    assert.equal(await pinoLoadedAfter([], then), true);
  });
});
