/**
 * Client of build/go/raftexample-codec (test/interop/go/raftexample-codec): Go's own gob and JSON
 * code, called exactly as raftexample calls it, one request per line.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { goBinary } from '../../support/go.js';
import { toHex } from '../../support/hex.js';

export interface GoGobDecode {
  ok: boolean;
  error?: string;
  key?: string;
  val?: string;
}

export interface GoJsonUnmarshal {
  ok: boolean;
  error?: string;
  nil?: boolean;
  pairs?: [string, string][];
}

const h = (b: Uint8Array): string => (b.length === 0 ? '-' : toHex(b));

/** A running raftexample-codec process; requests are answered in order. */
export class CodecHarness {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor() {
    this.child = spawn(goBinary('raftexample-codec'), [], { stdio: 'pipe' });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString();
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    this.child.once('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ exited: code, stderr: this.stderr }));
    });
  }

  private request(line: string): Promise<unknown> {
    return new Promise((resolve) => {
      this.waiting.push((answer) => resolve(JSON.parse(answer)));
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Many requests pipelined: answers in order. */
  private batch(lines: string[]): Promise<unknown[]> {
    return Promise.all(lines.map((l) => this.request(l)));
  }

  gobDecode(data: Uint8Array[]): Promise<GoGobDecode[]> {
    return this.batch(data.map((d) => `gob-decode ${h(d)}`)) as Promise<GoGobDecode[]>;
  }

  async gobEncode(kvs: [Uint8Array, Uint8Array][]): Promise<string[]> {
    const res = (await this.batch(kvs.map(([k, v]) => `gob-encode ${h(k)} ${h(v)}`))) as {
      hex: string;
    }[];
    return res.map((r) => r.hex);
  }

  /** json.Marshal of maps given as [key, value] pairs (later pairs overwrite earlier ones). */
  async jsonMarshal(maps: [Uint8Array, Uint8Array][][]): Promise<string[]> {
    const res = (await this.batch(
      maps.map((pairs) => {
        const j = JSON.stringify(pairs.map(([k, v]) => [h(k), h(v)]));
        return `json-marshal ${toHex(new TextEncoder().encode(j))}`;
      }),
    )) as { hex: string }[];
    return res.map((r) => r.hex);
  }

  jsonUnmarshal(data: Uint8Array[]): Promise<GoJsonUnmarshal[]> {
    return this.batch(data.map((d) => `json-unmarshal ${h(d)}`)) as Promise<GoJsonUnmarshal[]>;
  }

  /** strconv.ParseUint(s, 0, 64): the value as a decimal string, or undefined on error. */
  async parseUint(inputs: Uint8Array[]): Promise<(string | undefined)[]> {
    const res = (await this.batch(inputs.map((d) => `parse-uint ${h(d)}`))) as {
      ok: boolean;
      value?: string;
    }[];
    return res.map((r) => (r.ok ? r.value : undefined));
  }

  /** http.DetectContentType of each body. */
  async sniff(inputs: Uint8Array[]): Promise<string[]> {
    const res = (await this.batch(inputs.map((d) => `sniff ${h(d)}`))) as { ct: string }[];
    return res.map((r) => r.ct);
  }

  /** Ends the process (closing stdin) and waits for it. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
