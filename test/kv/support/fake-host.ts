/**
 * An in-memory, single-member stand-in for raftwire/replica's Replica: proposals apply at once (in
 * order, at increasing indexes) unless `stalled`, when they wait until their signal aborts and then
 * reject as raftwire/replica does (outcome unknown).
 */
import { EventEmitter } from 'node:events';
import { RaftwireError } from '../../../src/errors/index.js';
import type { KvApplyResult, KvHost, KvHostStatus, KvMember, KvStateMachine } from '../../../src/kv/index.js';

function untilAborted(signal: AbortSignal | undefined, code: string): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new RaftwireError(code, `aborted: ${String(signal?.reason)}`));
    if (signal === undefined) return;
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export class FakeHost extends EventEmitter implements KvHost {
  readonly id = 1n;
  index = 10;
  term = 2;
  leader: bigint | undefined = 1n;
  /** When true, nothing commits: proposals and read barriers wait for their signal. */
  stalled = false;
  members: KvMember[] = [{ id: 1n, peerUrls: ['http://127.0.0.1:2380'], role: 'voter' }];
  readonly proposed: Uint8Array[] = [];

  constructor(readonly store: KvStateMachine) {
    super();
  }

  async propose(data: Uint8Array, options?: { signal?: AbortSignal }): Promise<KvApplyResult> {
    if (this.stalled) return untilAborted(options?.signal, 'RAFTWIRE_REPLICA_OUTCOME_UNKNOWN');
    this.proposed.push(data);
    this.index++;
    return this.store.apply({ index: this.index, term: this.term, data });
  }

  async readBarrier(options?: { signal?: AbortSignal }): Promise<number> {
    if (this.stalled) return untilAborted(options?.signal, 'RAFTWIRE_REPLICA_TIMEOUT');
    return this.index;
  }

  async addMember(id: bigint, peerUrls: string[]): Promise<void> {
    if (this.members.some((m) => m.id === id)) {
      throw new RaftwireError('RAFTWIRE_REPLICA_MEMBER_EXISTS', `member ${id.toString(16)} exists`);
    }
    this.members.push({ id, peerUrls, role: 'learner' });
  }

  async removeMember(id: bigint): Promise<void> {
    const before = this.members.length;
    this.members = this.members.filter((m) => m.id !== id);
    if (this.members.length === before) {
      throw new RaftwireError('RAFTWIRE_REPLICA_MEMBER_NOT_FOUND', `no member ${id.toString(16)}`);
    }
  }

  async transferLeadership(to: bigint): Promise<void> {
    if (!this.members.some((m) => m.id === to)) {
      throw new RaftwireError('RAFTWIRE_REPLICA_MEMBER_NOT_FOUND', `no member ${to.toString(16)}`);
    }
    this.setLeader(to);
  }

  setLeader(leader: bigint | undefined): void {
    this.leader = leader;
    this.emit('leader', { leader, term: ++this.term });
  }

  status(): KvHostStatus {
    return {
      id: this.id,
      leader: this.leader,
      term: this.term,
      commit: this.index,
      applied: this.index,
      members: this.members,
    };
  }
}
