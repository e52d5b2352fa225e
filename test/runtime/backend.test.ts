/** Backend choice: the report's backend notes say the same thing for every job of a process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, loadBackendPackage, type BackendPackageLoader } from '../../src/runtime/backend';

test('a half-installed tfjs-node warns on no job: the first load decides for the whole process', async () => {
  let nodeLoads = 0;
  // As a tfjs-node without its native binding behaves: the first require fails for a missing
  // file, a second one returns (Node cached the parts that did load) but registers no backend.
  const halfInstalled: BackendPackageLoader = (name) => {
    if (name !== 'node') return loadBackendPackage(name);
    nodeLoads++;
    if (nodeLoads === 1) throw new Error("Cannot find module '/x/tfjs-node/lib/napi-v8/tfjs_binding.node'");
  };
  const first = await initBackend('auto', halfInstalled);
  const second = await initBackend('auto', halfInstalled);
  assert.equal(first.name, 'wasm');
  assert.deepEqual(first.notes, [], 'an absent tfjs-node is expected under auto');
  assert.deepEqual(second.notes, first.notes, 'the second job must not report a backend fallback the first did not');
  assert.equal(second.name, 'wasm');
  assert.equal(nodeLoads, 1, 'the package is loaded once per process');
});
