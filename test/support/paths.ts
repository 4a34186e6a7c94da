/** Where tests find the project root and the shared reference (read at test time, never copied). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no project root above ${from}`);
    dir = up;
  }
}

/** The project's root folder (holds package.json). */
export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/** `../shared` beside the project, or RAFTWIRE_SHARED when set. */
export const sharedDir = process.env.RAFTWIRE_SHARED ?? resolve(projectRoot, '..', 'shared');

export const referenceDir = join(sharedDir, 'reference');
export const vectorsDir = join(referenceDir, 'vectors');

export function requireShared(): void {
  if (!existsSync(referenceDir)) {
    throw new Error(
      `the shared reference is missing: expected ${referenceDir} (set RAFTWIRE_SHARED to its folder)`,
    );
  }
}
