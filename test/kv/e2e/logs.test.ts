/** What `raftwire node` logs when stdout is not a terminal: pino JSON lines, each field once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProcessCluster } from './process-cluster.js';

test('every log line is one JSON object that names each field once, the member ID included', async (t) => {
  const cluster = new ProcessCluster(['--log-level', 'debug']);
  t.after(() => cluster.close());
  await cluster.startAll(3);
  for (let i = 0; i < 5; i++) {
    const put = await cluster.req((i % 3) + 1, 'PUT', `/log-${i}`, { body: `v${i}` });
    assert.equal(put.status, 204, put.text);
  }
  assert.equal(await cluster.kill(3, 'SIGTERM'), 0);
  let checked = 0;
  for (const m of cluster.members.values()) {
    // The kept output is the last 20 000 characters: its first line may be cut.
    const lines = m.output.split('\n').slice(m.output.length >= 20_000 ? 1 : 0);
    for (const line of lines.filter((l) => l.trim() !== '')) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.fail(`member ${m.id} printed a line that is not JSON: ${line}`);
      }
      const keys = [...line.matchAll(/"([^"\\]+)":/g)].map((x) => x[1]);
      // Nested objects (an error's fields) may repeat a top-level name; the top level may not.
      const top = Object.keys(o);
      for (const k of top) {
        assert.ok(
          keys.filter((x) => x === k).length === 1 || typeof o[k] === 'object',
          `${k} twice in ${line}`,
        );
      }
      if ('local-member-id' in o) assert.equal(o['local-member-id'], m.id.toString(16), line);
      checked++;
    }
    // The transport's and the replica's lines carry the member ID.
    assert.ok(
      lines.some((l) => l.includes('"local-member-id"')),
      `member ${m.id} logged no line with its ID`,
    );
  }
  assert.ok(checked > 30, `only ${checked} log lines`);
});
