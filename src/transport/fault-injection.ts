/**
 * Test-only fault injection: cut a transport off from its peers without closing anything, and mend
 * it again. Not exported from raftwire/transport (no public API promises it); tests and interop
 * harnesses import this file by path.
 *
 * A paused peer drops every outgoing message silently (no drop counter, no reportUnreachable) and
 * ignores incoming stream messages; pipeline and snapshot requests it serves are still processed,
 * and snapshots are still sent (etcd's pause has the same reach). A paused remote stops its
 * pipeline and drops what is sent meanwhile.
 */
import { type Transport, transportInternals } from './transport.js';

/** Pauses every peer of `transport` (etcd's Transport.Pause). */
export function pauseTransport(transport: Transport): void {
  for (const p of transport[transportInternals]().peers.values()) p.pause();
}

/** Undoes pauseTransport (etcd's Transport.Resume). */
export function resumeTransport(transport: Transport): void {
  for (const p of transport[transportInternals]().peers.values()) p.resume();
}

/** Pauses one peer and the remote of the same ID. */
export function cutPeer(transport: Transport, id: bigint): void {
  const { peers, remotes } = transport[transportInternals]();
  peers.get(id)?.pause();
  remotes.get(id)?.pause();
}

/** Undoes cutPeer. */
export function mendPeer(transport: Transport, id: bigint): void {
  const { peers, remotes } = transport[transportInternals]();
  peers.get(id)?.resume();
  remotes.get(id)?.resume();
}
