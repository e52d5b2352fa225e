import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError } from '../../src/engine/classifyError';
import { ERROR_CODES, isErrorCode } from '../../src/engine/errorCodes';
import { CancelledError, ResourceError } from '../../src/engine/api';
import { InputError } from '../../src/engine/input';
import { DataError } from '../../src/data/errors';
import { ModelLoadError, UnsupportedOperatorError } from '../../src/loaders/errors';
import { KernelError } from '../../src/ops/kernel';
import { ExecutionError } from '../../src/runtime/executor';
import { TensorSizeError } from '../../src/runtime/sizeGuard';
import { describeError } from '../../src/worker/serve';
import { workerErrorCode, type WorkerErrorInfo } from '../../src/protocol/worker';
import { AnalysisError, WorkerCrashedError } from '../../src/extension/analysis/workerClient';
import { failureNotice } from '../../src/extension/analysis/failure';

describe('classifyError', () => {
  const cases: [string, unknown, string][] = [
    ['CancelledError', new CancelledError(), 'cancelled'],
    ['ModelLoadError', new ModelLoadError('/m/a.onnx', 'bad magic'), 'model-load'],
    ['UnsupportedOperatorError (a ModelLoadError)', new UnsupportedOperatorError('/m/a.onnx', new Map([['Foo', ['n1']]])), 'unsupported-op'],
    ['DataError', new DataError('/d/x.npy', 'not found'), 'data'],
    ['InputError', new InputError('two inputs'), 'input'],
    ['ResourceError', new ResourceError('too big'), 'resource'],
    ['TensorSizeError (a ResourceError)', new TensorSizeError('n', 'MatMul', 10, 5, 'detail'), 'resource'],
    ['ExecutionError', new ExecutionError('n', 'Conv', new Error('boom')), 'execution'],
    ['KernelError', new KernelError('bad attribute'), 'execution'],
    ['a plain Error', new Error('oops'), 'internal'],
    ['an Error that only claims a name', Object.assign(new Error('x'), { name: 'ModelLoadError' }), 'internal'],
    ['a thrown string', 'oops', 'internal'],
  ];
  for (const [what, error, code] of cases) {
    test(`${what} -> ${code}`, () => assert.equal(classifyError(error), code));
  }

  test('every code is produced by some case above', () => {
    assert.deepEqual(new Set(cases.map((c) => c[2])), new Set(ERROR_CODES));
  });
});

describe('error codes across the worker boundary', () => {
  test('describeError carries the code, name, message and file', () => {
    const info = describeError(new ModelLoadError('/m/a.onnx', 'bad magic'), 'model-load');
    assert.equal(info.code, 'model-load');
    assert.equal(info.name, 'ModelLoadError');
    assert.equal(info.message, '/m/a.onnx: bad magic');
    assert.equal(info.file, '/m/a.onnx');
    assert.deepEqual(describeError('str', 'internal'), { code: 'internal', name: 'Error', message: 'str' });
  });

  test('the extension accepts only known codes', () => {
    assert.equal(isErrorCode('resource'), true);
    assert.equal(isErrorCode('ResourceError'), false);
    assert.equal(workerErrorCode({ code: 'data' }), 'data');
    assert.equal(workerErrorCode({ code: 'nonsense' }), 'internal');
    assert.equal(workerErrorCode({}), 'internal');
    const fromOldWorker = { name: 'ResourceError', message: 'm' } as unknown as WorkerErrorInfo;
    assert.equal(new AnalysisError(fromOldWorker).code, 'internal');
  });
});

describe('failureNotice (what the user is told)', () => {
  const err = (info: Omit<WorkerErrorInfo, 'stack'>) => new AnalysisError({ ...info, stack: 'STACK' });

  test('resource: the message says which settings to change', () => {
    const n = failureNotice('a.onnx', err({ code: 'resource', name: 'ResourceError', message: 'needs 9 GB' }));
    assert.deepEqual(n, { kind: 'error', message: 'a.onnx: needs 9 GB (lower gradientLens.batchSize or raise gradientLens.memoryLimitMb)' });
  });

  for (const code of ['model-load', 'unsupported-op'] as const) {
    test(`${code}: names the file at fault once`, () => {
      const n = failureNotice('a.onnx', err({ code, name: 'ModelLoadError', message: '/m/w.bin: truncated', file: '/m/w.bin' }));
      assert.deepEqual(n, { kind: 'error', message: 'cannot load w.bin: truncated', details: '/m/w.bin: truncated' });
    });
  }

  test('user errors are one clear message without a stack; defects keep theirs (#18)', () => {
    for (const code of ['data', 'input', 'resource', 'model-load', 'unsupported-op'] as const) {
      const n = failureNotice('a.onnx', err({ code, name: 'Error', message: 'm' }));
      assert.equal(n.kind === 'error' && (n.details ?? '').includes('STACK'), false, code);
    }
    for (const code of ['execution', 'internal'] as const) {
      const n = failureNotice('a.onnx', err({ code, name: 'Error', message: 'm' }));
      assert.equal(n.kind === 'error' && n.details, 'STACK', code);
    }
  });

  test('the code decides, not the name', () => {
    const n = failureNotice('a.onnx', err({ code: 'execution', name: 'ResourceError', message: 'node "n" (Conv): boom' }));
    assert.deepEqual(n, { kind: 'error', message: 'analysis of a.onnx failed: node "n" (Conv): boom', details: 'STACK' });
  });

  test('cancelled, crashed and foreign errors', () => {
    assert.deepEqual(failureNotice('a.onnx', new CancelledError()), { kind: 'cancelled' });
    const crash = failureNotice('a.onnx', new WorkerCrashedError(null, 'SIGKILL', 'tail'));
    assert.equal(crash.kind === 'error' && crash.details, 'tail');
    assert.match(crash.kind === 'error' ? crash.message : '', /^while analyzing a\.onnx, the analysis process stopped unexpectedly \(signal SIGKILL\)/);
    assert.equal((failureNotice('a.onnx', new Error('x')) as { message: string }).message, 'analysis of a.onnx failed: x');
  });
});
