/**
 * etcd's v2 statistics objects (etcdserver/api/v2stats): ServerStats (/v2/stats/self) and
 * LeaderStats with one FollowerStats per peer (/v2/stats/leader). JSON shapes match etcd's.
 */

const RATE_SAMPLES = 200;
const RATE_WINDOW_MS = 1_000;

/** A ring of (time, bytes) samples giving etcd's package and bandwidth rates over the last second. */
class RateQueue {
  private readonly times = new Float64Array(RATE_SAMPLES);
  private readonly sizes = new Float64Array(RATE_SAMPLES);
  private head = 0;
  private count = 0;

  insert(now: number, size: number): void {
    if (this.count > 0) {
      const last = (this.head + this.count - 1) % RATE_SAMPLES;
      if (now - this.times[last]! > RATE_WINDOW_MS) this.count = 0;
    }
    const at = (this.head + this.count) % RATE_SAMPLES;
    this.times[at] = now;
    this.sizes[at] = size;
    if (this.count < RATE_SAMPLES) this.count++;
    else this.head = (this.head + 1) % RATE_SAMPLES;
  }

  /** [packages per second, bytes per second]; 0 when there is no sample from the last second. */
  rate(now: number): [number, number] {
    if (this.count === 0) return [0, 0];
    const last = (this.head + this.count - 1) % RATE_SAMPLES;
    if (now - this.times[last]! > RATE_WINDOW_MS) {
      this.count = 0;
      return [0, 0];
    }
    const span = (this.times[last]! - this.times[this.head]!) / 1000;
    // etcd divides by the span and yields +Inf (then fails to encode) for one sample; report 0 instead.
    if (span <= 0) return [0, 0];
    let bytes = 0;
    for (let i = 0; i < this.count; i++) bytes += this.sizes[(this.head + i) % RATE_SAMPLES]!;
    return [this.count / span, bytes / span];
  }
}

/** Raft role names as etcd's ServerStats reports them. */
export type ServerState = 'StateFollower' | 'StateCandidate' | 'StateLeader' | 'StatePreCandidate';

/** etcd's ServerStats: this member's counters, as served on /v2/stats/self. */
export class ServerStats {
  readonly name: string;
  readonly id: string;
  state: ServerState = 'StateFollower';
  readonly startTime: Date;
  leader = '';
  leaderStartTime: Date;
  recvAppendRequestCnt = 0;
  sendAppendRequestCnt = 0;
  private readonly recv = new RateQueue();
  private readonly sendq = new RateQueue();
  private readonly now: () => number;

  constructor(name: string, id: string, now: () => number = Date.now) {
    this.name = name;
    this.id = id;
    this.now = now;
    this.startTime = new Date(now());
    this.leaderStartTime = this.startTime;
  }

  /** Counts an append request received from `leader` (hex ID) of `size` bytes; sets the leader. */
  recvAppendReq(leader: string, size: number): void {
    const now = this.now();
    this.state = 'StateFollower';
    if (leader !== this.leader) {
      this.leader = leader;
      this.leaderStartTime = new Date(now);
    }
    this.recv.insert(now, size);
    this.recvAppendRequestCnt++;
  }

  /** Counts an append request sent (called by the transport for every MsgApp to a peer); we lead. */
  sendAppendReq(size: number): void {
    const now = this.now();
    if (this.state !== 'StateLeader') {
      this.state = 'StateLeader';
      this.leader = this.id;
      this.leaderStartTime = new Date(now);
    }
    this.sendq.insert(now, size);
    this.sendAppendRequestCnt++;
  }

  /** The /v2/stats/self object (rates omitted when zero, as etcd's omitempty does). */
  toJSON(): Record<string, unknown> {
    const now = this.now();
    const [recvPkgRate, recvBandwidthRate] = this.recv.rate(now);
    const [sendPkgRate, sendBandwidthRate] = this.sendq.rate(now);
    const out: Record<string, unknown> = {
      name: this.name,
      id: this.id,
      state: this.state,
      startTime: this.startTime.toISOString(),
      leaderInfo: {
        leader: this.leader,
        uptime: `${((now - this.leaderStartTime.getTime()) / 1000).toFixed(3)}s`,
        startTime: this.leaderStartTime.toISOString(),
      },
      recvAppendRequestCnt: this.recvAppendRequestCnt,
    };
    if (recvPkgRate) out.recvPkgRate = recvPkgRate;
    if (recvBandwidthRate) out.recvBandwidthRate = recvBandwidthRate;
    out.sendAppendRequestCnt = this.sendAppendRequestCnt;
    if (sendPkgRate) out.sendPkgRate = sendPkgRate;
    if (sendBandwidthRate) out.sendBandwidthRate = sendBandwidthRate;
    return out;
  }
}

/** etcd's FollowerStats: append latency (ms) and success/failure counts towards one follower. */
export class FollowerStats {
  readonly latency = {
    current: 0,
    average: 0,
    standardDeviation: 0,
    /** etcd starts the minimum at 2^63 (serialised 9223372036854776000). */
    minimum: 2 ** 63,
    maximum: 0,
  };
  readonly counts = { fail: 0, success: 0 };
  private sumOfSquares = 0;

  /** Records `n` successful appends that took `latencyMs` each (one update per batch). */
  succ(latencyMs: number, n = 1): void {
    const l = this.latency;
    const total = this.counts.success * l.average + n * latencyMs;
    this.counts.success += n;
    l.current = latencyMs;
    l.average = total / this.counts.success;
    this.sumOfSquares += n * latencyMs * latencyMs;
    l.standardDeviation = Math.sqrt(Math.max(0, this.sumOfSquares / this.counts.success - l.average ** 2));
    if (latencyMs < l.minimum) l.minimum = latencyMs;
    if (latencyMs > l.maximum) l.maximum = latencyMs;
  }

  /** Records a failed append (pipeline only, as in etcd). */
  fail(): void {
    this.counts.fail++;
  }

  toJSON(): Record<string, unknown> {
    return { latency: { ...this.latency }, counts: { ...this.counts } };
  }
}

/** etcd's LeaderStats: this member as leader, with one FollowerStats per peer (keys: hex IDs). */
export class LeaderStats {
  readonly leader: string;
  readonly followers = new Map<string, FollowerStats>();

  constructor(leader: string) {
    this.leader = leader;
  }

  /** The follower entry for `id` (hex), created on first use. */
  follower(id: string): FollowerStats {
    let f = this.followers.get(id);
    if (f === undefined) {
      f = new FollowerStats();
      this.followers.set(id, f);
    }
    return f;
  }

  /** Drops the follower entry (RemovePeer). */
  removeFollower(id: string): void {
    this.followers.delete(id);
  }

  /** The /v2/stats/leader object. */
  toJSON(): Record<string, unknown> {
    const followers: Record<string, unknown> = {};
    for (const [id, f] of this.followers) followers[id] = f.toJSON();
    return { leader: this.leader, followers };
  }
}
