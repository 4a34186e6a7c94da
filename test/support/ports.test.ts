/** The test port helper: ranges below the ephemeral ports, and reservations across processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, PORT_RANGES, reservePort } from './ports.js';

const PORTS = fileURLToPath(new URL('./ports.js', import.meta.url));

test('a port reserved by a live process is not handed out; once that process is gone it is', async (t) => {
  // A port of the member range another process reserves and holds (it waits for stdin to close).
  const port = 19_990 + Math.floor(Math.random() * 10);
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { reservePort } = await import(${JSON.stringify(PORTS)});
       console.log(reservePort(${port}) ? 'held' : 'taken');
       process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => holder.kill('SIGKILL'));
  const [line] = (await once(holder.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'held');
  assert.equal(reservePort(port), false, 'reserved by a live process');
  holder.kill('SIGKILL'); // no exit handler runs: its reservation file stays behind, stale
  await once(holder, 'exit');
  assert.equal(reservePort(port), true, 'a stale reservation is taken over');
  assert.equal(reservePort(port), true, 'a reservation of its own is kept');
});

test('freePort hands out distinct reserved ports inside the range', async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) ports.add(await freePort());
  assert.equal(ports.size, 20);
  for (const p of ports) {
    assert.ok(p >= PORT_RANGES.member[0] && p < PORT_RANGES.member[1], `${p}`);
    assert.equal(reservePort(p), true);
  }
});
