/**
 * A full analysis makes no network access at all: every way Node can open a connection or
 * resolve a name is trapped for the duration, and the test sees none used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// The module objects themselves (not the read-only namespace wrappers) so they can be patched.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dns = require('node:dns') as typeof import('node:dns');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const http = require('node:http') as typeof import('node:http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const https = require('node:https') as typeof import('node:https');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const net = require('node:net') as typeof import('node:net');
import * as path from 'node:path';
import { analyzeModel } from '../../src/engine/analyze';
import { fixtureDir } from '../helpers/fixtures';

test('a full analysis, backend start included, makes no network call', async () => {
  const attempts: string[] = [];
  const restore: (() => void)[] = [];
  const trap = <T extends object, K extends keyof T>(obj: T, key: K, label: string): void => {
    const original = obj[key];
    (obj as Record<K, unknown>)[key] = (...args: unknown[]) => {
      attempts.push(`${label}(${args.map((a) => (typeof a === 'string' ? a : typeof a)).join(', ')})`);
      throw new Error(`network access attempted: ${label}`);
    };
    restore.push(() => ((obj as Record<K, unknown>)[key] = original));
  };
  trap(net.Socket.prototype, 'connect', 'net.Socket.connect');
  trap(http, 'request', 'http.request');
  trap(http, 'get', 'http.get');
  trap(https, 'request', 'https.request');
  trap(https, 'get', 'https.get');
  trap(dns, 'lookup', 'dns.lookup');
  trap(dns.promises, 'lookup', 'dns.promises.lookup');
  trap(globalThis, 'fetch', 'fetch');
  try {
    const report = await analyzeModel({
      modelPath: path.join(fixtureDir('resmlp_relu'), 'model.onnx'),
      settings: { backend: 'wasm', probes: 4 },
    });
    assert.equal(report.blocks.length, 12);
  } finally {
    restore.forEach((r) => r());
  }
  assert.deepEqual(attempts, []);
});
