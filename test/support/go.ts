/** Go harness binaries (built by scripts/build-go.sh; built here on demand if missing). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

export const goEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GOPATH: '/usr/share/gocode',
  GO111MODULE: 'off',
  GOFLAGS: '',
};

/** Path of the built program for test/interop/go/<name> (or bench-<area> for bench/<area>/go). */
export function goBinary(name: string): string {
  const out = join(projectRoot, 'build', 'go', name);
  if (!existsSync(out)) {
    const src = name.startsWith('bench-')
      ? join(projectRoot, 'bench', name.slice('bench-'.length), 'go')
      : join(projectRoot, 'test', 'interop', 'go', name);
    execFileSync('go', ['build', '-o', out, '.'], { cwd: src, env: goEnv, stdio: 'inherit' });
  }
  return out;
}
