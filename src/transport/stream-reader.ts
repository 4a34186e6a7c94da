/**
 * etcd's streamReader: dials GET /raft/stream/{msgapp|message}/<local> on the peer, checks the
 * response (version gate, then status), and decodes the body into raft messages until it ends or
 * fails; then redials through the rate-limited dialer. The body read deadline is undici's
 * bodyTimeout (5 s), kept alive by the peer's link heartbeats.
 */
import type { Dispatcher } from 'undici';
import type { Message } from '../raftpb/index.js';
import { CONN_READ_TIMEOUT_MS } from './constants.js';
import { describeError, type TransportContext } from './context.js';
import { ClusterIdMismatchError, FrameDecodeError, TransportError, TransportErrorCode } from './errors.js';
import { reportPeerFailure } from './failure-reporter.js';
import { isLinkHeartbeat, MessageFrameDecoder } from './message-codec.js';
import { MsgAppV2Decoder } from './msgappv2-codec.js';
import { asTransportError, classifyPeerAnswer } from './peer-response.js';
import type { PeerStatus } from './peer-status.js';
import { DialLimiter } from './rate-limiter.js';
import { streamTypeName } from './stream-writer.js';
import type { UrlPicker } from './url-picker.js';
import { type StreamType, streamTypeSupported } from './version.js';

/** Where decoded messages go (the peer): returns nothing; drops are the sink's business. */
export interface MessageSink {
  /** True while incoming stream messages are to be discarded (pause). */
  readonly paused: boolean;
  receive(m: Message): void;
}

interface Decoder {
  push(c: Uint8Array): void;
  next(): Message | undefined;
  end(): void;
  lastSize: number;
}

/** The dialing, decoding end of one stream type from one peer. */
export class StreamReader {
  readonly type: StreamType;
  private readonly ctx: TransportContext;
  private readonly peerId: bigint;
  private readonly peerHex: string;
  private readonly status: PeerStatus;
  private readonly picker: UrlPicker;
  private readonly sink: MessageSink;
  private readonly limiter: DialLimiter;
  private readonly abort = new AbortController();
  private readonly headers: Record<string, string>;
  private readonly path: string;
  private body: Dispatcher.ResponseData['body'] | undefined;
  private done: Promise<void> | undefined;

  constructor(
    ctx: TransportContext,
    type: StreamType,
    peerId: bigint,
    status: PeerStatus,
    picker: UrlPicker,
    sink: MessageSink,
  ) {
    this.ctx = ctx;
    this.type = type;
    this.peerId = peerId;
    this.peerHex = peerId.toString(16);
    this.status = status;
    this.picker = picker;
    this.sink = sink;
    this.limiter = new DialLimiter(ctx.dialRetryIntervalMs);
    this.headers = { ...ctx.baseHeaders, 'X-Raft-To': this.peerHex };
    this.path = `/raft/stream/${type === 'msgappv2' ? 'msgapp' : 'message'}/${ctx.localHex}`;
  }

  start(): void {
    this.done = this.run();
  }

  /** Aborts a dial in progress, closes the body, and waits for the loop to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.body?.destroy();
    await this.done;
  }

  private get fields() {
    return {
      'stream-reader-type': streamTypeName(this.type),
      'remote-peer-id': this.peerHex,
    };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await this.limiter.wait(signal);
      if (signal.aborted) break;
      const url = this.picker.pick();
      let body: Dispatcher.ResponseData['body'];
      try {
        body = await this.dial(url);
      } catch (err) {
        if (signal.aborted) break;
        reportPeerFailure(
          this.ctx,
          {
            kind: 'stream',
            peerId: this.peerId,
            url,
            picker: this.picker,
            status: this.status,
            source: streamTypeName(this.type),
            action: 'dial',
            fields: { ...this.fields, 'remote-peer-url': url },
          },
          asTransportError(err, url),
        );
        continue;
      }
      this.status.activate();
      this.ctx.logger.warn(this.fields, 'established TCP streaming connection with remote peer');
      const err = await this.decodeLoop(body);
      this.body = undefined;
      if (signal.aborted) break;
      this.ctx.logger.warn(
        { ...this.fields, error: err === undefined ? 'EOF' : describeError(err) },
        'lost TCP streaming connection with remote peer',
      );
      if (err !== undefined) {
        this.status.deactivate(streamTypeName(this.type), 'read', describeError(err));
        if (err instanceof FrameDecodeError) this.ctx.metrics.receivedFailures.inc({ From: this.peerHex });
      }
    }
  }

  /** Dials `url`: the response body of an accepted stream, else throws what failed it. */
  private async dial(url: string): Promise<Dispatcher.ResponseData['body']> {
    const res = await this.ctx.streamClient.request({
      origin: url,
      path: this.path,
      method: 'GET',
      headers: this.headers,
      signal: this.abort.signal,
      headersTimeout: CONN_READ_TIMEOUT_MS,
      bodyTimeout: CONN_READ_TIMEOUT_MS,
    });
    const version = headerValue(res.headers['x-server-version']);
    const supported = streamTypeSupported(version, this.type);
    if (supported !== true) {
      await res.body.dump().catch(() => {});
      if (supported === undefined) {
        this.ctx.logger.error(
          { ...this.fields, 'remote-peer-url': url, 'remote-version': version },
          'peer sent a malformed X-Server-Version',
        );
      }
      throw new TransportError(
        TransportErrorCode.UnsupportedStreamType,
        `peer ${url} (version ${version ?? 'none'}) does not support ${streamTypeName(this.type)}`,
      );
    }
    if (res.statusCode === 200) {
      this.body = res.body;
      return res.body;
    }
    const text = await res.body.text().catch(() => '');
    const clusterId = headerValue(res.headers['x-etcd-cluster-id']);
    const failure =
      classifyPeerAnswer(
        'stream',
        { status: res.statusCode, body: text, clusterId },
        url,
        this.ctx.clusterHex,
      ) ?? new TransportError(TransportErrorCode.UnexpectedStatus, `unhandled http status ${res.statusCode}`);
    if (failure.code === TransportErrorCode.IncompatibleVersion) {
      this.ctx.logger.error(
        { ...this.fields, 'remote-peer-url': url },
        'request sent was ignored by remote peer due to server version incompatibility',
      );
    } else if (failure instanceof ClusterIdMismatchError) {
      this.ctx.logger.error(
        {
          ...this.fields,
          'remote-peer-url': url,
          'local-member-cluster-id': this.ctx.clusterHex,
          'remote-peer-cluster-id': failure.remote,
        },
        'request sent was ignored by remote peer due to cluster ID mismatch',
      );
    }
    throw failure;
  }

  /** Resolves with undefined at a clean end, or the error that ended the stream. */
  private decodeLoop(body: Dispatcher.ResponseData['body']): Promise<unknown> {
    const decoder: Decoder =
      this.type === 'msgappv2'
        ? new MsgAppV2Decoder(this.ctx.localId, this.peerId)
        : new MessageFrameDecoder();
    const metrics = this.ctx.metrics;
    const peerId = this.peerId;
    const peerHex = this.peerHex;
    const sink = this.sink;
    // stop() may have destroyed the body between the dial and now: its 'close' is already gone.
    if (body.destroyed || this.abort.signal.aborted) {
      body.destroy();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      let finished = false;
      const finish = (err: unknown) => {
        if (finished) return;
        finished = true;
        body.off('data', onData);
        if (!body.destroyed) body.destroy();
        resolve(err);
      };
      const onData = (chunk: Buffer) => {
        let bytes = 0;
        let heartbeatBytes = 0;
        try {
          decoder.push(chunk);
          for (let m = decoder.next(); m !== undefined; m = decoder.next()) {
            if (isLinkHeartbeat(m)) {
              heartbeatBytes += decoder.lastSize;
              continue;
            }
            if (m.from === peerId) bytes += decoder.lastSize;
            else metrics.receivedBytes.inc({ From: m.from.toString(16) }, decoder.lastSize);
            if (!sink.paused) sink.receive(m);
          }
        } catch (err) {
          finish(err);
        }
        if (bytes > 0) metrics.receivedBytes.inc({ From: peerHex }, bytes);
        if (heartbeatBytes > 0) metrics.receivedBytes.inc({ From: '0' }, heartbeatBytes);
      };
      body.on('data', onData);
      body.once('end', () => {
        try {
          decoder.end();
          finish(undefined);
        } catch (err) {
          finish(err);
        }
      });
      body.once('error', finish);
      body.once('close', () =>
        finish(
          this.abort.signal.aborted
            ? undefined
            : new TransportError(TransportErrorCode.ConnectionFailed, 'stream closed'),
        ),
      );
    });
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
