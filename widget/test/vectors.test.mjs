// The committed cross-language vectors (tests/vectors/crypto-v1.json, written by
// tests/vectors/generate.py with PyNaCl), checked with the widget's crypto
// module: every byte of every section is reproduced, and one changed byte in
// any field of a vector makes its check fail. tests/sdk/test_vectors.py does
// the same in Python; tests/e2e/test_vectors_browser.py runs vectors-check.mjs
// in Chromium. Run by tests/sdk/test_crypto_interop.py (`node --test test/`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHECKS, checkVectors, checkMutations, mutations } from './vectors-check.mjs';

const FILE = new URL('../../tests/vectors/crypto-v1.json', import.meta.url);
const data = JSON.parse(readFileSync(FILE, 'utf8'));

test('the vectors file is version 1 and has every section', () => {
  assert.equal(data.version, 1);
  for (const section of Object.keys(CHECKS)) {
    assert.ok(Array.isArray(data[section]) && data[section].length > 0, section);
  }
});

for (const section of Object.keys(CHECKS)) {
  test(`the widget reproduces every ${section} vector`, async () => {
    for (const v of data[section]) await CHECKS[section](v);
  });
}

test('checkVectors (what the browser test calls) passes them all', async () => {
  const { passed, failed } = await checkVectors(data);
  assert.deepEqual(failed, []);
  const total = Object.keys(CHECKS).reduce((n, s) => n + data[s].length, 0);
  assert.equal(passed.length, total);
});

test('one changed byte in any field of a vector makes its check fail', async () => {
  const { caught, missed } = await checkMutations(data);
  assert.deepEqual(missed, []);
  for (const section of Object.keys(CHECKS)) {
    if (section === 'refused_messages') continue;
    const fields = mutations(data[section][0]).map((m) => m.field);
    assert.ok(fields.length >= 3, `${section}: only ${fields}`);
    for (const f of fields) assert.ok(caught.includes(`${section}.${f}`), `${section}.${f}`);
  }
});

test('a vector file with one byte changed fails checkVectors', async () => {
  const bad = structuredClone(data);
  const [first] = mutations(bad.resume_codes[0]).filter((m) => m.field === 'wrapped_key');
  bad.resume_codes[0] = first.vector;
  const { failed } = await checkVectors(bad);
  assert.equal(failed.length, 1);
  assert.match(failed[0], /^resume_codes\[0\]/);
});
