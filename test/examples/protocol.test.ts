/** The examples panel's message from the page is validated like every webview message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage } from '../../src/protocol/webview';

test('openExample: only a plain example id passes', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'openExample', id: 'mlp_tanh' }), { type: 'openExample', id: 'mlp_tanh' });
  for (const id of ['../mlp_tanh', 'MLP', '', 'a'.repeat(65), 3, null, undefined, 'mlp tanh']) {
    assert.equal(parseWebviewMessage({ type: 'openExample', id }), undefined, `id ${JSON.stringify(id)}`);
  }
  // Extra fields are dropped.
  assert.deepEqual(parseWebviewMessage({ type: 'openExample', id: 'resmlp_relu', path: '/etc/passwd' }), { type: 'openExample', id: 'resmlp_relu' });
});
