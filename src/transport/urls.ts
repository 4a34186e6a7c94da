/**
 * Peer URL lists as etcd's types.NewURLs accepts them: trimmed, http or https, host:port, no path,
 * sorted. (etcd's unix/unixs peer schemes are not supported.)
 */
import { TransportError, TransportErrorCode } from './errors.js';

/** Parses and sorts a peer URL list; throws TransportError(InvalidUrl) for an empty list or a bad entry. */
export function parsePeerUrls(urls: readonly string[]): string[] {
  if (urls.length === 0) throw new TransportError(TransportErrorCode.InvalidUrl, 'no peer URLs given');
  const out: string[] = [];
  for (const raw of urls) {
    const s = raw.trim();
    let u: URL;
    try {
      u = new URL(s);
    } catch (err) {
      throw new TransportError(TransportErrorCode.InvalidUrl, `invalid peer URL ${JSON.stringify(raw)}`, {
        cause: err,
      });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new TransportError(
        TransportErrorCode.InvalidUrl,
        `URL scheme must be http or https: ${JSON.stringify(raw)}`,
      );
    }
    // WHATWG URL drops a port equal to the scheme's default (`http://h:80` has port ''), so the
    // port is taken from the raw authority, as Go's url.Parse + net.SplitHostPort see it.
    const port = u.port !== '' ? u.port : rawPort(s);
    if (port === undefined) {
      throw new TransportError(
        TransportErrorCode.InvalidUrl,
        `URL address does not have the form "host:port": ${JSON.stringify(raw)}`,
      );
    }
    if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') {
      throw new TransportError(
        TransportErrorCode.InvalidUrl,
        `URL must not contain a path: ${JSON.stringify(raw)}`,
      );
    }
    out.push(`${u.protocol}//${u.hostname}:${port}`);
  }
  return out.sort();
}

/** The digits after the last `:` of the raw URL's authority (`//userinfo@host:port`), if any. */
function rawPort(url: string): string | undefined {
  const afterScheme = url.indexOf('//');
  if (afterScheme < 0) return undefined;
  const rest = url.slice(afterScheme + 2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  return /:(\d+)$/.exec(hostPort)?.[1];
}
