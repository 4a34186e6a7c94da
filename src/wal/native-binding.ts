/**
 * Loads `raftwire_wal`, the WAL's Node-API addon (src/wal/native/, built by `npm install` with
 * node-gyp into the package's build/Release). Everything native the WAL uses goes through here;
 * when the addon is not built, `nativeBinding` is undefined and `nativeBindingError` says why.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';

/** A writer object of the addon (opaque): one file's writer thread. */
export type NativeWriter = object;
/** A completion: errno (0 = success), the bytes written, and whether the error came from fdatasync. */
export type Completion = (errno: number, bytes: number, inDatasync: boolean) => void;

/** The addon's functions (src/wal/native/wal-writer.c). */
export interface NativeBinding {
  create(fd: number): NativeWriter;
  write(
    w: NativeWriter,
    buf: Uint8Array,
    offset: number,
    length: number,
    position: number,
    done: Completion,
    thenDatasync?: boolean,
  ): void;
  datasync(w: NativeWriter, done: Completion): void;
  close(w: NativeWriter): void;
  /** A non-blocking exclusive lock of the whole file (etcd's TryLockFile): 0, EAGAIN or an errno. */
  lock(fd: number): number;
}

/** Where node-gyp puts the addon, from dist/src/wal (the package root's build/Release). */
const ADDON_PATH = '../../../build/Release/raftwire_wal.node';

function load(): { binding: NativeBinding | undefined; error: unknown } {
  try {
    return { binding: createRequire(import.meta.url)(ADDON_PATH) as NativeBinding, error: undefined };
  } catch (error) {
    return { binding: undefined, error };
  }
}

const loaded = load();

/** The addon, or undefined when it is not built. */
export const nativeBinding: NativeBinding | undefined = loaded.binding;
/** Why the addon did not load, or undefined when it did. */
export const nativeBindingError: unknown = loaded.error;

/** An errno from the addon as Node's own fs errors look (code, errno < 0, syscall, path). */
export function errnoException(errno: number, syscall: string, path: string): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = `E${errno}`;
  }
  const e: NodeJS.ErrnoException = new Error(`${code}: ${syscall} failed, '${path}'`);
  e.code = code;
  e.errno = -errno;
  e.syscall = syscall;
  e.path = path;
  return e;
}
