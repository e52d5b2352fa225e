/** The allocator settings the engine's processes start with (engine/allocator.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALLOCATOR_TUNABLES, withAllocatorTunables } from '../../src/engine/allocator';

test('on Linux every setting is added to an environment without them', () => {
  const env = withAllocatorTunables({ PATH: '/bin' }, 'linux');
  assert.deepEqual(env.GLIBC_TUNABLES?.split(':'), [...ALLOCATOR_TUNABLES]);
  assert.equal(env.PATH, '/bin');
  assert.ok(ALLOCATOR_TUNABLES.some((t) => t.startsWith('glibc.malloc.mmap_threshold=')));
});

test("a caller's own tunables are kept, and its value of the same tunable wins", () => {
  const env = withAllocatorTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0' }, 'linux');
  const set = env.GLIBC_TUNABLES!.split(':');
  assert.ok(set.includes('glibc.malloc.arena_max=2'));
  assert.ok(set.includes('glibc.malloc.hugetlb=0'));
  assert.ok(!set.includes('glibc.malloc.hugetlb=1'));
  assert.equal(set.filter((t) => t.startsWith('glibc.malloc.hugetlb=')).length, 1);
  assert.equal(set.length, 2 + ALLOCATOR_TUNABLES.length - 1);
});

test('an environment that has them comes back unchanged (the relaunch stops there)', () => {
  const once = withAllocatorTunables({}, 'linux');
  assert.equal(withAllocatorTunables(once, 'linux'), once);
});

test('elsewhere, or opted out, the environment is left alone', () => {
  const env = { PATH: '/bin' };
  assert.equal(withAllocatorTunables(env, 'darwin'), env);
  assert.equal(withAllocatorTunables(env, 'win32'), env);
  const optedOut = { GRADIENT_LENS_ALLOCATOR: 'system' };
  assert.equal(withAllocatorTunables(optedOut, 'linux'), optedOut);
});
