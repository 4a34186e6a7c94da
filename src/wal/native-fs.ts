/**
 * The WAL's default file layer: `fs/promises` file handles, except that a file's writes and
 * fdatasyncs run on a writer thread of its own (`raftwire_wal`, src/wal/native/wal-writer.c,
 * built by `npm install` with node-gyp). Why: a fsynced save is a few hundred microseconds of
 * disk, and on libuv's shared thread pool every save also pays a hand-off to one of four threads
 * and the fs request machinery on the way back; on the machines measured (2-core VMs) that made
 * one sequential writer reach ~0.6–0.7 of Go's `wal.Save`, and the dedicated thread ~0.8–1.0.
 * Measured with `npm run bench -- wal`; numbers in src/wal/native/README.md.
 *
 * The event loop is never blocked: an operation is handed to the thread and its completion comes
 * back as a callback. A file gets its thread on its first write or datasync (files only read never
 * start one), and `close()` joins it. Operations on one file run one at a time, in call order.
 *
 * When the addon was not built (no C compiler at install time), `nativeWalFs` is undefined and
 * `defaultWalFs` is the plain `fs/promises` layer (`nodeWalFs`).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { constants } from 'node:os';
import { WalError, WalErrorCode } from './errors.js';
import { nodeWalFs, type WalFile, type WalFs } from './file-layer.js';
import {
  type Completion,
  errnoException,
  type NativeBinding,
  type NativeWriter,
  nativeBinding,
  nativeBindingError,
} from './native-binding.js';

/** Why the native layer is missing (the addon's load error), or undefined when it is there. */
export const nativeWalFsError: unknown = nativeBindingError;

/** An addon refusal (thrown with code RAFTWIRE_WAL_NATIVE) as a WalError; errno errors stay as they are. */
function asWalError(e: unknown): NodeJS.ErrnoException {
  if ((e as { code?: unknown }).code !== WalErrorCode.NATIVE) return e as NodeJS.ErrnoException;
  return new WalError(WalErrorCode.NATIVE, (e as Error).message, { cause: e });
}

/** Starts a native call that reports through `done`; may throw when the addon refuses it. */
type Op = (done: Completion) => void;
/** Settles the caller's promise: an error, or the byte count. */
type Settle = (err: NodeJS.ErrnoException | undefined, bytes: number) => void;

class NativeWalFile implements WalFile {
  readonly #binding: NativeBinding;
  readonly #fh: FileHandle;
  readonly #path: string;
  #writer: NativeWriter | undefined;
  #busy = false;
  readonly #waiting: Array<() => void> = [];
  /** Callers of `close` waiting for the file to go idle. */
  readonly #idleWaiters: Array<() => void> = [];

  constructor(binding: NativeBinding, fh: FileHandle, path: string) {
    this.#binding = binding;
    this.#fh = fh;
    this.#path = path;
  }

  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }> {
    return new Promise((resolve, reject) => {
      this.#run(
        'write',
        (done) => this.#binding.write(this.#native('write'), buffer, offset, length, position, done),
        (err, n) => (err === undefined ? resolve({ bytesWritten: n }) : reject(err)),
      );
    });
  }

  /** `write` of the whole range then fdatasync, in one hand-off to the writer thread. */
  writeDurable(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#run(
        'write',
        (done) => this.#binding.write(this.#native('write'), buffer, offset, length, position, done, true),
        (err) => (err === undefined ? resolve() : reject(err)),
      );
    });
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#run(
        'fdatasync',
        (done) => this.#binding.datasync(this.#native('fdatasync'), done),
        (err) => (err === undefined ? resolve() : reject(err)),
      );
    });
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.#fh.read(buffer, offset, length, position);
  }

  sync(): Promise<void> {
    return this.#fh.sync();
  }

  truncate(len?: number): Promise<void> {
    return this.#fh.truncate(len);
  }

  stat(): Promise<{ size: number }> {
    return this.#fh.stat();
  }

  /** Waits for the operations in flight or queued, joins the writer thread, closes the handle. */
  async close(): Promise<void> {
    if (this.#busy) await new Promise<void>((r) => this.#idleWaiters.push(r));
    if (this.#writer !== undefined) {
      this.#binding.close(this.#writer);
      this.#writer = undefined;
    }
    await this.#fh.close();
  }

  /** The file's writer, created (with its thread, started on first use) on the first call. */
  #native(syscall: string): NativeWriter {
    if (this.#fh.fd < 0) throw errnoException(constants.errno.EBADF, syscall, this.#path);
    this.#writer ??= this.#binding.create(this.#fh.fd);
    return this.#writer;
  }

  /** Runs `op` now when the file is idle, else once the operations queued before it are done. */
  #run(syscall: string, op: Op, settle: Settle): void {
    const start = (): void => {
      this.#busy = true;
      try {
        op((errno, n, inDatasync) => {
          this.#advance();
          const failed = inDatasync ? 'fdatasync' : syscall;
          settle(errno === 0 ? undefined : errnoException(errno, failed, this.#path), n);
        });
      } catch (e) {
        this.#advance();
        settle(asWalError(e), 0);
      }
    };
    if (this.#busy) this.#waiting.push(start);
    else start();
  }

  /** The current operation is over: start the next queued one, or tell `close` the file is idle. */
  #advance(): void {
    this.#busy = false;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next();
      return;
    }
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}

function nativeFs(binding: NativeBinding): WalFs {
  return {
    async open(path, flags, mode) {
      return new NativeWalFile(binding, await open(path, flags, mode), path);
    },
    syncDir: (path) => nodeWalFs.syncDir(path),
  };
}

/** The native file layer, or undefined when the addon is not built (see `nativeWalFsError`). */
export const nativeWalFs: WalFs | undefined =
  nativeBinding === undefined ? undefined : nativeFs(nativeBinding);

/** What the WAL uses when `WalOptions.fs` is not given: `nativeWalFs`, else `nodeWalFs`. */
export const defaultWalFs: WalFs = nativeWalFs ?? nodeWalFs;
