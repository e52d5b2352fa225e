/**
 * Command ids: the one list, which must equal package.json contributes.commands (a unit test
 * checks it). No `vscode` import, so that test runs without VS Code.
 */
export const COMMANDS = {
  analyze: 'gradientLens.analyze',
  showReport: 'gradientLens.showReport',
  rerunWithSettings: 'gradientLens.rerunWithSettings',
  cancel: 'gradientLens.cancelAnalysis',
  showOutput: 'gradientLens.showOutput',
  exportReport: 'gradientLens.exportReport',
  compareReports: 'gradientLens.compareReports',
  showHistory: 'gradientLens.showHistory',
  watchModel: 'gradientLens.watchModel',
  stopWatching: 'gradientLens.stopWatching',
  toggleAnnotations: 'gradientLens.toggleAnnotations',
  openInReport: 'gradientLens.openInReport',
  openExample: 'gradientLens.openExample',
  analyzeAllExamples: 'gradientLens.analyzeAllExamples',
  analyzeWithData: 'gradientLens.analyzeWithData',
  analyzeUpToTensor: 'gradientLens.analyzeUpToTensor',
} as const;

export type CommandKey = keyof typeof COMMANDS;

export const CONTEXT_HAS_REPORT = 'gradientLens.hasReport';
/** fsPaths of the TensorFlow.js models found by content; menus test `resourcePath in` it. */
export const CONTEXT_TFJS_MODEL_PATHS = 'gradientLens.tfjsModelPaths';
