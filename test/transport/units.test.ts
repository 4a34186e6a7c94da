/**
 * Small pieces on their own (etcd urlpick_test.go, util_test.go): the URL picker, stream support by
 * version, URL list parsing, the dial limiter's pacing, the bounded queue, the v2 stats objects,
 * and the metric names, labels and buckets in the registry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { BoundedQueue } from '../../src/transport/bounded-queue.js';
import { LeaderStats, ServerStats, TransportMetrics } from '../../src/transport/index.js';
import { DialLimiter } from '../../src/transport/rate-limiter.js';
import { UrlPicker } from '../../src/transport/url-picker.js';
import { parsePeerUrls } from '../../src/transport/urls.js';
import { checkVersionHeaders, streamTypeSupported } from '../../src/transport/version.js';

describe('url picker', () => {
  it('picks the same URL until it is marked unreachable, then the next; update starts over', () => {
    const p = new UrlPicker(['http://a:1', 'http://b:2']);
    assert.equal(p.pick(), 'http://a:1');
    assert.equal(p.pick(), 'http://a:1');
    p.unreachable('http://b:2');
    assert.equal(p.pick(), 'http://a:1', 'marking another URL changes nothing');
    p.unreachable('http://a:1');
    assert.equal(p.pick(), 'http://b:2');
    p.unreachable('http://b:2');
    assert.equal(p.pick(), 'http://a:1', 'wraps around');
    p.update(['http://c:3', 'http://d:4']);
    assert.equal(p.pick(), 'http://c:3');
  });

  it('parses URL lists like types.NewURLs: trimmed, sorted, host:port, no path', () => {
    assert.deepEqual(parsePeerUrls([' http://b:2', 'https://a:1 ']), ['http://b:2', 'https://a:1']);
    assert.deepEqual(parsePeerUrls(['http://127.0.0.1:12380', 'http://10.0.0.1:2380']), [
      'http://10.0.0.1:2380',
      'http://127.0.0.1:12380',
    ]);
    assert.deepEqual(parsePeerUrls(['http://[::1]:2380']), ['http://[::1]:2380']);
    // The scheme's default port is a port like any other (WHATWG URL drops it; Go keeps it).
    assert.deepEqual(parsePeerUrls(['https://b:443', 'http://a:80', 'http://[::1]:80', 'https://c:80']), [
      'http://[::1]:80',
      'http://a:80',
      'https://b:443',
      'https://c:80',
    ]);
    for (const bad of [
      'http://a',
      'https://a',
      'http://[::1]',
      'http://a:80/x',
      'http://u:80@a',
      'unix://a:1',
      'http://a:1/x',
      'http://a:1?q',
      'a:1',
      '',
    ]) {
      assert.throws(() => parsePeerUrls([bad]), /URL/, bad);
    }
  });
});

describe('versions (etcd TestCheckStreamSupport, TestCheckVersionCompatibility)', () => {
  it('2.1.0, 2.1.9 and 2.1.0-alpha support both stream types; 2.0 and a missing header none', () => {
    for (const v of ['2.1.0', '2.1.9', '2.1.0-alpha', '3.3.0', '3.4.0', '3.5.0', '3.6.1']) {
      assert.equal(streamTypeSupported(v, 'msgappv2'), true, v);
      assert.equal(streamTypeSupported(v, 'message'), true, v);
    }
    for (const v of ['2.0.0', '2.0.9', undefined, ''])
      assert.equal(streamTypeSupported(v, 'message'), false, String(v));
  });

  it('same version ok; server one major above with min = local ok; too low either way fails', () => {
    assert.equal(checkVersionHeaders('3.4.23', '3.0.0').ok, true);
    assert.equal(checkVersionHeaders('3.0.0', '0.0.0').ok, true);
    assert.equal(checkVersionHeaders('4.0.0', '3.4.0').ok, true);
    assert.equal(checkVersionHeaders('2.9.9', '2.0.0').ok, false);
    assert.equal(checkVersionHeaders('3.5.0', '3.5.0').ok, false);
  });
});

describe('dial limiter (rate.Every(100 ms), burst 1)', () => {
  it('lets the first dial through at once and paces the next ones', async () => {
    const l = new DialLimiter(100);
    const signal = new AbortController().signal;
    let first = false;
    const t0 = performance.now();
    void l.wait(signal).then(() => {
      first = true;
    });
    await Promise.resolve();
    assert.equal(first, true, 'the first wait is already resolved (bucket starts full)');
    await l.wait(signal);
    await l.wait(signal);
    const third = performance.now() - t0;
    assert.ok(third >= 195, `third wait returned after ${third} ms`);
  });

  it('returns at once when aborted', async () => {
    const l = new DialLimiter(60_000);
    const ac = new AbortController();
    await l.wait(ac.signal);
    const p = l.wait(ac.signal);
    ac.abort();
    await p;
  });
});

describe('bounded queue', () => {
  it('is FIFO, refuses pushes when full, and clears', () => {
    const q = new BoundedQueue<number>(3);
    assert.equal(q.push(1) && q.push(2) && q.push(3), true);
    assert.equal(q.push(4), false);
    assert.equal(q.shift(), 1);
    assert.equal(q.push(4), true);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift()], [2, 3, 4, undefined]);
    q.push(5);
    assert.equal(q.clear(), 1);
    assert.equal(q.length, 0);
  });
});

describe('v2 stats', () => {
  it('ServerStats rates cover the last second and are omitted when zero', () => {
    let now = 1_000_000;
    const s = new ServerStats('n1', '1', () => now);
    assert.equal('sendPkgRate' in s.toJSON(), false);
    for (let i = 0; i < 10; i++) {
      s.sendAppendReq(100);
      now += 10;
    }
    const j = s.toJSON();
    assert.equal(j.sendAppendRequestCnt, 10);
    assert.ok((j.sendPkgRate as number) > 0);
    assert.ok((j.sendBandwidthRate as number) > 0);
    now += 5_000;
    assert.equal('sendPkgRate' in s.toJSON(), false, 'stale samples are dropped');
    s.recvAppendReq('2', 50);
    assert.equal(s.state, 'StateFollower');
    assert.equal((s.toJSON().leaderInfo as { leader: string }).leader, '2');
  });

  it('LeaderStats keeps follower latency and counts; minimum starts at 2^63', () => {
    const l = new LeaderStats('1');
    const f = l.follower('2');
    assert.equal(JSON.stringify(f.latency.minimum), '9223372036854776000');
    f.succ(2);
    f.succ(4);
    f.fail();
    assert.deepEqual(f.counts, { success: 2, fail: 1 });
    assert.equal(f.latency.average, 3);
    assert.equal(f.latency.minimum, 2);
    assert.equal(f.latency.maximum, 4);
    assert.equal(f.latency.standardDeviation, 1);
    l.removeFollower('2');
    assert.deepEqual(JSON.parse(JSON.stringify(l)), { leader: '1', followers: {} });
  });
});

describe('metrics', () => {
  it('registers etcd’s names, labels and buckets, and tolerates a shared registry', async () => {
    const registry = new Registry();
    const m = new TransportMetrics(registry);
    new TransportMetrics(registry);
    m.rttSeconds.observe({ To: '2' }, 0.001);
    m.snapshotSendSeconds.observe({ To: '2' }, 1);
    const text = await registry.metrics();
    for (const name of [
      'etcd_network_active_peers',
      'etcd_network_disconnected_peers_total',
      'etcd_network_peer_sent_bytes_total',
      'etcd_network_peer_received_bytes_total',
      'etcd_network_peer_sent_failures_total',
      'etcd_network_peer_received_failures_total',
      'etcd_network_snapshot_send_success',
      'etcd_network_snapshot_send_inflights_total',
      'etcd_network_snapshot_send_failures',
      'etcd_network_snapshot_send_total_duration_seconds',
      'etcd_network_snapshot_receive_success',
      'etcd_network_snapshot_receive_inflights_total',
      'etcd_network_snapshot_receive_failures',
      'etcd_network_snapshot_receive_total_duration_seconds',
      'etcd_network_peer_round_trip_time_seconds',
      'raftwire_network_peer_dropped_messages_total',
      'raftwire_network_peer_queue_depth',
    ]) {
      assert.ok(text.includes(`# TYPE ${name} `), name);
    }
    for (const le of [
      '0.0001',
      '0.0002',
      '0.0004',
      '0.0008',
      '0.0016',
      '0.0032',
      '0.0064',
      '0.0128',
      '0.0256',
      '0.0512',
      '0.1024',
      '0.2048',
      '0.4096',
      '0.8192',
      '1.6384',
      '3.2768',
    ]) {
      assert.ok(text.includes(`etcd_network_peer_round_trip_time_seconds_bucket{le="${le}",To="2"}`), le);
    }
    for (const le of ['0.1', '0.2', '0.4', '0.8', '1.6', '3.2', '6.4', '12.8', '25.6', '51.2']) {
      assert.ok(
        text.includes(`etcd_network_snapshot_send_total_duration_seconds_bucket{le="${le}",To="2"}`),
        le,
      );
    }
  });
});
