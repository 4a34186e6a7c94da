/** The admin endpoints under /-/: status, health, metrics, members, leader transfer. */

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatId, parseId } from '../raftpb/index.js';
import { serveStatusPage } from '../status-page/index.js';
import { RAFTWIRE_VERSION } from '../version.js';
import type { KvContext } from './context.js';
import { readBody, reasonOf, replyJson, replyText } from './http-util.js';

const ADMIN_BODY_LIMIT = 64 * 1024;
const HEALTH_TIMEOUT_MS = 1000;

/** The JSON form of a status value: bigints as etcd's hex IDs, undefined as null. */
export function statusJson(value: unknown): unknown {
  if (typeof value === 'bigint') return formatId(value);
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(statusJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = statusJson(v);
    return out;
  }
  return value;
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  replyText(res, 405, `method not allowed; use ${allow}`, { Allow: allow });
}

async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const body = await readBody(req, res, ADMIN_BODY_LIMIT);
  if (body.kind === 'aborted') {
    res.destroy();
    return undefined;
  }
  if (body.kind === 'too-large') {
    replyText(res, 413, `admin request bodies are limited to ${ADMIN_BODY_LIMIT} bytes`, {
      Connection: 'close',
    });
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(body.body.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch {
    replyText(res, 400, 'the body must be a JSON object');
    return undefined;
  }
}

/** A member ID from JSON: a hex string (etcd's form, as /-/members lists it) or a safe integer. */
function idOf(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === 'string') {
    try {
      const id = parseId(v);
      return id === 0n ? undefined : id;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** HTTP status for a failed membership or leadership call. */
function adminFailure(res: ServerResponse, err: unknown): void {
  const code = (err as { code?: unknown }).code;
  const text = reasonOf(err);
  if (typeof code === 'string' && /OUTCOME_UNKNOWN|TIMEOUT|CLOSED|STOPPED|NO_LEADER/.test(code)) {
    replyText(res, 503, `not confirmed, outcome UNKNOWN: ${text}`, { 'Retry-After': '1' });
    return;
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    replyText(res, 503, `not confirmed in time, outcome UNKNOWN: ${text}`, { 'Retry-After': '1' });
    return;
  }
  replyText(res, 409, text);
}

/** Routes one /-/ request. */
export async function handleAdmin(
  ctx: KvContext,
  path: string,
  query: Map<string, string>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  const signal = (): AbortSignal => AbortSignal.timeout(ctx.requestTimeoutMs);
  switch (path) {
    case '/-/status':
      if (!read) return methodNotAllowed(res, 'GET, HEAD');
      return replyJson(res, 200, {
        ...(statusJson(ctx.host.status()) as object),
        clientUrl: ctx.clientUrl ?? null,
        version: RAFTWIRE_VERSION,
        requests: { ...ctx.requests, writeMsTotal: Math.round(ctx.requests.writeMsTotal * 1000) / 1000 },
        supervised: ctx.supervisorToken !== undefined,
        // `?hash`: the state's hash, taken in the same tick as `applied` (O(keys), so on demand).
        ...(query.has('hash') ? { stateHash: ctx.store.hash(), stateApplied: ctx.store.appliedIndex } : {}),
      });
    case '/-/health': {
      if (!read) return methodNotAllowed(res, 'GET, HEAD');
      const status = ctx.host.status();
      if (status.leader === undefined) return replyJson(res, 503, { health: false, reason: 'no leader' });
      if (!query.has('serializable')) {
        try {
          await ctx.host.readBarrier({ signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        } catch (err) {
          return replyJson(res, 503, { health: false, reason: `read barrier failed: ${reasonOf(err)}` });
        }
      }
      return replyJson(res, 200, { health: true, leader: formatId(status.leader) });
    }
    case '/-/metrics': {
      if (!read) return methodNotAllowed(res, 'GET, HEAD');
      const text = await ctx.metrics.registry.metrics();
      res.writeHead(200, {
        'Content-Type': ctx.metrics.registry.contentType,
        'Content-Length': Buffer.byteLength(text),
      });
      return void res.end(text);
    }
    case '/-/members': {
      if (read) return replyJson(res, 200, { members: statusJson(ctx.host.status().members) });
      if (method !== 'POST') return methodNotAllowed(res, 'GET, HEAD, POST');
      const body = (await readJson(req, res)) as { id?: unknown; peerUrls?: unknown } | undefined;
      if (body === undefined) return;
      const urls = body.peerUrls;
      if (
        !Array.isArray(urls) ||
        urls.length === 0 ||
        !urls.every((u) => typeof u === 'string' && validUrl(u))
      ) {
        return replyText(res, 400, 'peerUrls must be a non-empty array of http(s) URLs');
      }
      let id: bigint | undefined;
      if (body.id === undefined) {
        id = 1n;
        for (const m of ctx.host.status().members) if (m.id >= id) id = m.id + 1n;
      } else {
        id = idOf(body.id);
        if (id === undefined)
          return replyText(res, 400, 'id must be a hex member ID string or a positive integer');
      }
      try {
        await ctx.host.addMember(id, urls as string[], { signal: signal() });
      } catch (err) {
        return adminFailure(res, err);
      }
      return replyJson(res, 201, { id: formatId(id), peerUrls: urls });
    }
    case '/-/leader': {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      const body = (await readJson(req, res)) as { id?: unknown } | undefined;
      if (body === undefined) return;
      const id = idOf(body.id);
      if (id === undefined)
        return replyText(res, 400, 'id must be a hex member ID string or a positive integer');
      try {
        await ctx.host.transferLeadership(id, { signal: signal() });
      } catch (err) {
        return adminFailure(res, err);
      }
      res.writeHead(204);
      return void res.end();
    }
  }
  if (serveStatusPage(path, req, res)) return;
  if (path.startsWith('/-/supervised/')) return supervised(ctx, path, req, res);
  if (path.startsWith('/-/members/')) {
    if (method !== 'DELETE') return methodNotAllowed(res, 'DELETE');
    const id = idOf(path.slice('/-/members/'.length));
    if (id === undefined) return replyText(res, 400, 'the member ID must be hex (as /-/members lists it)');
    try {
      await ctx.host.removeMember(id, { signal: signal() });
    } catch (err) {
      return adminFailure(res, err);
    }
    res.writeHead(204);
    return void res.end();
  }
  replyText(res, 400, `no admin endpoint ${path}; keys may not start with "-/" (reserved)`);
}

/**
 * The supervisor-only fault drills: POST /-/supervised/isolate and /-/supervised/heal. 404 on a
 * member not started by `raftwire cluster`, 403 without its token.
 */
async function supervised(
  ctx: KvContext,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const token = ctx.supervisorToken;
  if (token === undefined) {
    return replyText(res, 404, `${path} exists only on members started by 'raftwire cluster'`);
  }
  const given = Buffer.from(req.headers.authorization ?? '');
  const wanted = Buffer.from(`Bearer ${token}`);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return replyText(res, 403, `${path} is for this member's supervisor only`);
  }
  if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
  const action = path.slice('/-/supervised/'.length);
  if (action !== 'isolate' && action !== 'heal') {
    return replyText(res, 404, `no supervised endpoint ${path} (isolate, heal)`);
  }
  const run = action === 'isolate' ? ctx.host.isolate : ctx.host.heal;
  if (run === undefined) return replyText(res, 501, `this member's host cannot ${action}`);
  run.call(ctx.host);
  res.writeHead(204);
  res.end();
}

function validUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
