/**
 * A copy of the built project with every failpoint guard compiled out: `if (FAILPOINTS_ON)` becomes
 * `if (false)` and `!FAILPOINTS_ON` becomes `true` in dist/src (outside src/failpoint), so the
 * benchmarks can run raftwire as built (guards in, failpoints off) against raftwire without the
 * guards, in the same run, and show what the guards cost when off.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** The copy: its root (with dist/, node_modules and build/ beside it) and remove(). */
export interface FoldedCopy {
  root: string;
  /** Guards rewritten, file by file. */
  rewritten: Map<string, number>;
  remove(): void;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.js'))
    .map((d) => join(d.parentPath, d.name));
}

export function foldFailpoints(projectRoot: string): FoldedCopy {
  const root = mkdtempSync(join(tmpdir(), 'raftwire-nofp-'));
  try {
    cpSync(join(projectRoot, 'dist'), join(root, 'dist'), { recursive: true });
    for (const link of ['node_modules', 'build', 'package.json'])
      symlinkSync(join(projectRoot, link), join(root, link));
    const rewritten = new Map<string, number>();
    const src = join(root, 'dist', 'src');
    for (const file of jsFiles(src)) {
      if (relative(src, file).startsWith('failpoint')) continue;
      const text = readFileSync(file, 'utf8');
      let n = 0;
      const out = text
        .replace(/if \(FAILPOINTS_ON\)/g, () => {
          n++;
          return 'if (false)';
        })
        .replace(/!FAILPOINTS_ON\b/g, () => {
          n++;
          return 'true';
        });
      if (n === 0) continue;
      const left = out.split('\n').filter((l) => /\bFAILPOINTS_ON\b/.test(l) && !/^import /.test(l));
      if (left.length > 0) throw new Error(`${file}: a FAILPOINTS_ON use the fold does not know: ${left[0]}`);
      writeFileSync(file, out);
      rewritten.set(relative(src, file), n);
    }
    if (rewritten.size === 0) throw new Error('no failpoint guard found in dist/src: is the project built?');
    return { root, rewritten, remove: () => rmSync(root, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
}
