/**
 * Loads `raftwire_wal`, the WAL's Node-API addon (src/wal/native/, built by `npm install` with
 * node-gyp into the package's build/Release). Everything native the WAL uses goes through here;
 * when the addon is not built, `nativeBinding` is undefined and `nativeBindingError` says why.
 */
import { createRequire } from 'node:module';

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
