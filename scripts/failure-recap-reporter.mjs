// A node:test reporter that prints nothing until the run ends, then lists every failed or cancelled
// test with its file and the first lines of its error. The TAP reporter prints a failure where it
// happens, in the middle of thousands of lines; CI logs are often read from the tail, so the
// recap goes after the summary. Used beside the TAP reporter by scripts/test.sh.

const MAX_ERROR_LINES = 12;

function errorText(error) {
  if (error === undefined || error === null) return '(no error)';
  const cause = error.cause ?? error;
  const text = cause?.stack ?? cause?.message ?? String(cause);
  const lines = String(text)
    .split('\n')
    .filter((line) => !/\(node:|at node:|new Promise \(|Array\.map \(/.test(line));
  return lines.slice(0, MAX_ERROR_LINES).join('\n');
}

export default async function* failureRecap(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, nesting, details } = event.data;
    // A failed suite repeats its failed children's failures: keep the leaves and file-level ones.
    if (details?.type === 'suite' && details?.error?.failureType === 'subtestsFailed') continue;
    failures.push({ name, file, nesting, error: details?.error });
  }
  if (failures.length === 0) return;
  yield `\n# failure recap: ${failures.length} failed or cancelled\n`;
  for (const f of failures) {
    yield `# FAILED ${f.file ?? '(unknown file)'} :: ${f.name}\n`;
    for (const line of errorText(f.error).split('\n')) yield `#   ${line}\n`;
  }
}
