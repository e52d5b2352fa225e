import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SettleTimer, type FileStamp } from '../../src/extension/watch/settle';

/** Manual clock: timers run only when the test advances time. */
class FakeClock {
  now = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  set = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  };
  clear = (id: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Advances time, running due timers in order and letting their promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.fn();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.now = end;
  }
}

function setUp(options: { busy?: () => boolean } = {}) {
  const clock = new FakeClock();
  let file: FileStamp | undefined = { size: 100, mtimeMs: 1 };
  const fired: number[] = [];
  const timer = new SettleTimer({
    quietMs: 1000,
    stat: async () => file,
    isBusy: options.busy ?? (() => false),
    onSettled: () => {
      fired.push(clock.now);
    },
    setTimer: clock.set,
    clearTimer: clock.clear,
  });
  return { clock, timer, fired, write: (s: FileStamp | undefined) => (file = s) };
}

describe('SettleTimer (Watch Model debounce)', () => {
  test('fires once, after two equal stats a quiet period apart, for a burst of change events', async () => {
    const { clock, timer, fired } = setUp();
    for (let i = 0; i < 5; i++) {
      timer.poke();
      await clock.advance(200);
    }
    assert.deepEqual(fired, []);
    await clock.advance(5000);
    // Last poke at t=800: first stat at 1800, confirming stat at 2800.
    assert.deepEqual(fired, [2800]);
    assert.equal(timer.pending, false);
  });

  test('a file still growing (size or mtime changing between stats) is not analysed until it stops', async () => {
    const { clock, timer, fired, write } = setUp();
    timer.poke();
    await clock.advance(1000); // stat 1: 100 bytes
    write({ size: 200, mtimeMs: 2 }); // written on, but no event reached us
    await clock.advance(1000); // stat 2 differs: wait again
    assert.deepEqual(fired, []);
    await clock.advance(1000); // stat 3 equals stat 2
    assert.deepEqual(fired, [3000]);
  });

  test('a missing file (between delete and rename) waits until it exists again', async () => {
    const { clock, timer, fired, write } = setUp();
    write(undefined);
    timer.poke();
    await clock.advance(4000);
    assert.deepEqual(fired, []);
    write({ size: 5, mtimeMs: 9 });
    await clock.advance(2000);
    assert.equal(fired.length, 1);
  });

  test('while an analysis runs the check is put off, then the settled file is analysed once', async () => {
    let busy = true;
    const { clock, timer, fired } = setUp({ busy: () => busy });
    timer.poke();
    await clock.advance(10_000);
    assert.deepEqual(fired, []);
    assert.equal(timer.pending, true, 'still waiting for the running analysis');
    busy = false;
    await clock.advance(3000);
    assert.equal(fired.length, 1);
  });

  test('dispose stops everything (Stop Watching)', async () => {
    const { clock, timer, fired } = setUp();
    timer.poke();
    timer.dispose();
    timer.poke();
    await clock.advance(10_000);
    assert.deepEqual(fired, []);
  });
});
