/**
 * Canonical JSON text of a value, so that values compare as JSON values: object keys sorted,
 * arrays in order, numbers as JSON writes them. Two values are equal as JSON values exactly when
 * their canonical texts are equal.
 */

/** Thrown by canonicalJson for a value JSON cannot hold (a bigint, a function, NaN, a class instance). */
export class NotJsonError extends Error {}

/** The canonical JSON text of `value`; throws NotJsonError for anything JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new NotJsonError(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new NotJsonError(`a ${proto?.constructor?.name ?? 'non-plain'} object is not a JSON value`);
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
    }
    default:
      throw new NotJsonError(`a ${typeof value} is not a JSON value`);
  }
}
