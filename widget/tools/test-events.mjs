// A reporter for Node's test runner that writes one JSON object per finished test
// (pass, fail or skip, with its name and file), so a caller reads the results as data
// rather than parsing a human-oriented format (TAP or spec), which Node versions change.
// Use: node --test --test-reporter=./tools/test-events.mjs --test-reporter-destination=out.jsonl test/
export default async function* testEvents(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo } = event.data;
    const outcome = event.type === 'test:fail' ? 'fail' : skip !== undefined ? 'skip' : 'pass';
    yield `${JSON.stringify({ outcome, name, nesting, file: file ?? null, todo: todo !== undefined })}\n`;
  }
}
