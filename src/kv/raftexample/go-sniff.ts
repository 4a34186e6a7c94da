/**
 * Go's `net/http.DetectContentType` (Go 1.19's sniff.go), ported signature for signature: a Go
 * raftexample member answers `GET` with the value as body and no Content-Type of its own, so
 * net/http sniffs one from the first 512 bytes. A drop-in member must send the same header.
 */

const SNIFF_LEN = 512;

type Sig = (data: Uint8Array, firstNonWS: number) => string | undefined;

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function hasPrefix(data: Uint8Array, p: Uint8Array): boolean {
  if (data.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (data[i] !== p[i]) return false;
  return true;
}

const isWS = (b: number): boolean => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;
const isTT = (b: number | undefined): boolean => b === 0x20 || b === 0x3e;

function htmlSig(s: string): Sig {
  const h = bytesOf(s);
  return (all, firstNonWS) => {
    const data = all.subarray(firstNonWS);
    if (data.length < h.length + 1) return undefined;
    for (let i = 0; i < h.length; i++) {
      const b = h[i] as number;
      let db = data[i] as number;
      if (b >= 0x41 && b <= 0x5a) db &= 0xdf;
      if (b !== db) return undefined;
    }
    return isTT(data[h.length]) ? 'text/html; charset=utf-8' : undefined;
  };
}

function exactSig(s: string, ct: string): Sig {
  const sig = bytesOf(s);
  return (data) => (hasPrefix(data, sig) ? ct : undefined);
}

function maskedSig(maskS: string, patS: string, ct: string, skipWS = false): Sig {
  const mask = bytesOf(maskS);
  const pat = bytesOf(patS);
  return (all, firstNonWS) => {
    const data = skipWS ? all.subarray(firstNonWS) : all;
    if (data.length < pat.length) return undefined;
    for (let i = 0; i < pat.length; i++) {
      if (((data[i] as number) & (mask[i] as number)) !== pat[i]) return undefined;
    }
    return ct;
  };
}

const mp4Sig: Sig = (data) => {
  if (data.length < 12) return undefined;
  const boxSize =
    (((data[0] as number) << 24) >>> 0) +
    ((data[1] as number) << 16) +
    ((data[2] as number) << 8) +
    (data[3] as number);
  if (data.length < boxSize || boxSize % 4 !== 0) return undefined;
  if (data[4] !== 0x66 || data[5] !== 0x74 || data[6] !== 0x79 || data[7] !== 0x70) return undefined;
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue;
    if (data[st] === 0x6d && data[st + 1] === 0x70 && data[st + 2] === 0x34) return 'video/mp4';
  }
  return undefined;
};

const textSig: Sig = (data, firstNonWS) => {
  for (let i = firstNonWS; i < data.length; i++) {
    const b = data[i] as number;
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return undefined;
  }
  return 'text/plain; charset=utf-8';
};

const FF = '\xff';
const Z = '\x00';

const SIGNATURES: Sig[] = [
  ...[
    '<!DOCTYPE HTML',
    '<HTML',
    '<HEAD',
    '<SCRIPT',
    '<IFRAME',
    '<H1',
    '<DIV',
    '<FONT',
    '<TABLE',
    '<A',
    '<STYLE',
    '<TITLE',
    '<B',
    '<BODY',
    '<BR',
    '<P',
    '<!--',
  ].map(htmlSig),
  maskedSig(FF.repeat(5), '<?xml', 'text/xml; charset=utf-8', true),
  exactSig('%PDF-', 'application/pdf'),
  exactSig('%!PS-Adobe-', 'application/postscript'),
  maskedSig(`${FF}${FF}${Z}${Z}`, '\xfe\xff\x00\x00', 'text/plain; charset=utf-16be'),
  maskedSig(`${FF}${FF}${Z}${Z}`, '\xff\xfe\x00\x00', 'text/plain; charset=utf-16le'),
  maskedSig(`${FF}${FF}${FF}${Z}`, '\xef\xbb\xbf\x00', 'text/plain; charset=utf-8'),
  exactSig('\x00\x00\x01\x00', 'image/x-icon'),
  exactSig('\x00\x00\x02\x00', 'image/x-icon'),
  exactSig('BM', 'image/bmp'),
  exactSig('GIF87a', 'image/gif'),
  exactSig('GIF89a', 'image/gif'),
  maskedSig(`${FF.repeat(4)}${Z.repeat(4)}${FF.repeat(6)}`, 'RIFF\x00\x00\x00\x00WEBPVP', 'image/webp'),
  exactSig('\x89PNG\x0d\x0a\x1a\x0a', 'image/png'),
  exactSig('\xff\xd8\xff', 'image/jpeg'),
  maskedSig(`${FF.repeat(4)}${Z.repeat(4)}${FF.repeat(4)}`, 'FORM\x00\x00\x00\x00AIFF', 'audio/aiff'),
  maskedSig(FF.repeat(3), 'ID3', 'audio/mpeg'),
  maskedSig(FF.repeat(5), 'OggS\x00', 'application/ogg'),
  maskedSig(FF.repeat(8), 'MThd\x00\x00\x00\x06', 'audio/midi'),
  maskedSig(`${FF.repeat(4)}${Z.repeat(4)}${FF.repeat(4)}`, 'RIFF\x00\x00\x00\x00AVI ', 'video/avi'),
  maskedSig(`${FF.repeat(4)}${Z.repeat(4)}${FF.repeat(4)}`, 'RIFF\x00\x00\x00\x00WAVE', 'audio/wave'),
  mp4Sig,
  exactSig('\x1a\x45\xdf\xa3', 'video/webm'),
  maskedSig(`${Z.repeat(34)}${FF}${FF}`, `${Z.repeat(34)}LP`, 'application/vnd.ms-fontobject'),
  exactSig('\x00\x01\x00\x00', 'font/ttf'),
  exactSig('OTTO', 'font/otf'),
  exactSig('ttcf', 'font/collection'),
  exactSig('wOFF', 'font/woff'),
  exactSig('wOF2', 'font/woff2'),
  exactSig('\x1f\x8b\x08', 'application/x-gzip'),
  exactSig('PK\x03\x04', 'application/zip'),
  exactSig('Rar!\x1a\x07\x00', 'application/x-rar-compressed'),
  exactSig('Rar!\x1a\x07\x01\x00', 'application/x-rar-compressed'),
  exactSig('\x00\x61\x73\x6d', 'application/wasm'),
  textSig,
];

/** Go's `http.DetectContentType(data)`: the Content-Type net/http would send for this body. */
export function detectContentType(body: Uint8Array): string {
  const data = body.length > SNIFF_LEN ? body.subarray(0, SNIFF_LEN) : body;
  let firstNonWS = 0;
  while (firstNonWS < data.length && isWS(data[firstNonWS] as number)) firstNonWS++;
  for (const sig of SIGNATURES) {
    const ct = sig(data, firstNonWS);
    if (ct !== undefined) return ct;
  }
  return 'application/octet-stream';
}
