// @ts-check
/**
 * Three bundles:
 * - dist/extension.js: the extension host code (target node; `vscode` is provided by the host).
 * - dist/worker.js:    the analysis child process with the engine (target node), plus the
 *                      tfjs-backend-wasm binaries copied next to it (the wasm backend loads
 *                      them from its own directory, __dirname).
 * - dist/analysisThread.js: a worker thread of dist/worker.js (src/engine/parallel): the
 *                      engine's pool looks for it beside the worker and, when it is there,
 *                      runs reverse passes on the second core too.
 * - dist/webview.js:   the results page (target web), from webview-ui/src/main.ts.
 *                      Also ONNX Runtime's native binding and library for one platform
 *                      (GRADIENT_LENS_TARGET, e.g. linux-x64; default: this machine's), copied
 *                      to dist/onnxruntime/<platform>-<arch>/, where src/runtime/ortSession.ts
 *                      looks first; vsce package --target <the same> ships them.
 * @tensorflow/tfjs-node stays external everywhere: it is an optional native install that the
 * engine tries at run time and falls back from.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const webpack = require('webpack');

const ROOT = __dirname;
const DIST = path.join(ROOT, 'dist');

/** Copies the wasm backend's .wasm files into the output directory. */
class CopyWasmBinariesPlugin {
  /** @param {webpack.Compiler} compiler */
  apply(compiler) {
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    const files = fs.readdirSync(path.join(dir, 'dist')).filter((f) => f.endsWith('.wasm'));
    compiler.hooks.thisCompilation.tap('CopyWasmBinariesPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'CopyWasmBinariesPlugin', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const f of files) {
          const file = path.join(dir, 'dist', f);
          compilation.fileDependencies.add(file);
          compilation.emitAsset(f, new webpack.sources.RawSource(fs.readFileSync(file)));
        }
      });
    });
  }
}

/** Copies onnxruntime-node's binding and shared library of one platform into dist/onnxruntime/<platform>-<arch>/. */
class CopyOrtBinaryPlugin {
  /** @param {webpack.Compiler} compiler */
  apply(compiler) {
    const target = process.env.GRADIENT_LENS_TARGET || `${process.platform}-${process.arch}`;
    const [platform, arch] = target.split('-');
    const dir = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', platform, arch);
    if (!fs.existsSync(dir)) throw new Error(`webpack: onnxruntime-node has no binary for ${target} (${dir})`);
    compiler.hooks.thisCompilation.tap('CopyOrtBinaryPlugin', (compilation) => {
      compilation.hooks.processAssets.tap({ name: 'CopyOrtBinaryPlugin', stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL }, () => {
        for (const f of fs.readdirSync(dir)) {
          // macOS: npm ships the library twice (libonnxruntime.1.30.0.dylib and libonnxruntime.1.dylib,
          // a symlink flattened by npm); the binding loads @rpath/libonnxruntime.1.dylib only.
          if (/^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(f)) continue;
          const file = path.join(dir, f);
          compilation.fileDependencies.add(file);
          compilation.emitAsset(`onnxruntime/${target}/${f}`, new webpack.sources.RawSource(fs.readFileSync(file)));
        }
      });
    });
  }
}

/** @param {string} configFile */
const tsRule = (configFile) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { configFile, transpileOnly: true, onlyCompileBundledFiles: true } }],
});

/** @returns {webpack.Configuration} */
function nodeBundle(name, entry, mode) {
  return {
    name,
    mode,
    target: 'node20',
    entry,
    output: { path: DIST, filename: `${name}.js`, libraryTarget: 'commonjs2' },
    devtool: mode === 'production' ? false : 'nosources-source-map',
    // The real __dirname of dist/, so dist/*.wasm are found next to the bundle.
    node: { __dirname: false, __filename: false },
    resolve: { extensions: ['.ts', '.js'], mainFields: ['main'] },
    externals: {
      vscode: 'commonjs vscode',
      '@tensorflow/tfjs-node': 'commonjs @tensorflow/tfjs-node',
      // Only used by tf.util.fetch, which the engine never calls.
      'node-fetch': 'commonjs node-fetch',
    },
    module: { rules: [tsRule(path.join(ROOT, 'tsconfig.json'))] },
    performance: { hints: false },
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };
}

module.exports = (_env, argv) => {
  const mode = argv.mode === 'production' ? 'production' : 'development';
  const extension = nodeBundle('extension', './src/extension/main.ts', mode);
  extension.plugins = [
    // First statement of the bundle: lets main.ts include module loading in the activation time.
    new webpack.BannerPlugin({ banner: 'var __gradientLensBundleStart = require("perf_hooks").performance.now();', raw: true, entryOnly: true }),
  ];
  const worker = nodeBundle('worker', './src/worker/main.ts', mode);
  worker.plugins = [new CopyWasmBinariesPlugin(), new CopyOrtBinaryPlugin()];
  const analysisThread = nodeBundle('analysisThread', './src/engine/parallel/analysisThread.ts', mode);
  const configs = [extension, worker, analysisThread];

  const webviewEntry = path.join(ROOT, 'webview-ui', 'src', 'main.ts');
  if (fs.existsSync(webviewEntry)) {
    const webviewTsconfig = path.join(ROOT, 'webview-ui', 'tsconfig.json');
    configs.push({
      name: 'webview',
      mode,
      target: 'web',
      entry: webviewEntry,
      output: { path: DIST, filename: 'webview.js' },
      devtool: mode === 'production' ? false : 'nosources-source-map',
      resolve: { extensions: ['.ts', '.js'] },
      module: { rules: [tsRule(fs.existsSync(webviewTsconfig) ? webviewTsconfig : path.join(ROOT, 'tsconfig.json'))] },
      performance: { hints: false },
      stats: 'errors-warnings',
    });
  } else {
    console.warn(`webpack: ${path.relative(ROOT, webviewEntry)} does not exist yet; dist/webview.js is not built`);
  }
  return configs;
};
