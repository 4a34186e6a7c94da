/**
 * Go's path handling as net/http's ServeMux applies it to request paths: path.Clean, path.Dir,
 * path.Base, and which paths ServeMux redirects (301) to their clean form.
 */

/** Go's path.Clean for URL paths (keeps a trailing slash, as ServeMux does). */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let c = `/${out.join('/')}`;
  if (p.endsWith('/') && c !== '/') c += '/';
  return c;
}

/** Paths Go's ServeMux would redirect: empty segments, "." or "..", or no leading slash. */
const NEEDS_CLEANING = /\/\/|\/\.\.?(\/|$)|^[^/]/;

/** The clean form of `p` (itself when already clean). */
export function servedPath(p: string): string {
  return NEEDS_CLEANING.test(p) ? cleanPath(p) : p;
}

/** Go's path.Dir. */
export function goDir(p: string): string {
  const i = p.lastIndexOf('/');
  const d = cleanPath(p.slice(0, i + 1));
  return d.length > 1 && d.endsWith('/') ? d.slice(0, -1) : d;
}

/** Go's path.Base. */
export function goBase(p: string): string {
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p.slice(p.lastIndexOf('/') + 1);
}
