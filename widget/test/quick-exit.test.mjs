// The quick-exit gesture (shared/quick-exit.js), on a fake window: three
// physical Shift presses within 2 s leave; a synthetic event, a held key's
// repeats, another key in between, or presses spread over more than 2 s do not.
// The real keyboard in a real browser: tests/e2e/test_quick_exit.py; how the
// exit is recorded in History: tests/e2e/test_exit_history.py.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { onShiftThrice } from '../src/shared/quick-exit.js';

/** A window with one keydown listener, and a count of exits. */
function setup() {
  /** @type {((e: any) => void) | null} */
  let listener = null;
  let capture = false;
  const target = {
    addEventListener: (/** @type {string} */ type, /** @type {any} */ fn, /** @type {boolean} */ c) => {
      assert.equal(type, 'keydown');
      listener = fn;
      capture = c;
    },
  };
  const exits = { n: 0 };
  onShiftThrice(/** @type {any} */ (target), () => exits.n++);
  assert.equal(capture, true, 'capture phase, before any handler of the page');
  const key = (/** @type {string} */ k, extra = {}) => listener?.({ key: k, isTrusted: true, repeat: false, ...extra });
  return { key, exits };
}

test('three Shift presses within 2 s leave, once', () => {
  mock.timers.enable({ apis: ['Date'], now: 1000 });
  try {
    const { key, exits } = setup();
    key('Shift');
    mock.timers.tick(500);
    key('Shift');
    mock.timers.tick(1400);
    key('Shift');
    assert.equal(exits.n, 1);
    key('Shift'); // the count starts again after an exit
    assert.equal(exits.n, 1);
  } finally {
    mock.timers.reset();
  }
});

test('synthetic events, repeats, another key, or a slow third press do not leave', () => {
  mock.timers.enable({ apis: ['Date'], now: 1000 });
  try {
    const { key, exits } = setup();
    for (let i = 0; i < 3; i++) key('Shift', { isTrusted: false });
    key('Shift');
    key('Shift', { repeat: true });
    key('Shift', { repeat: true });
    assert.equal(exits.n, 0, 'a held key counts once');
    key('Shift');
    key('a'); // "Je Suis" typed with capitals
    key('Shift');
    assert.equal(exits.n, 0, 'another key resets the count');
    key('Shift');
    mock.timers.tick(2000);
    key('Shift');
    assert.equal(exits.n, 0, 'the first press is more than 2 s old');
  } finally {
    mock.timers.reset();
  }
});
