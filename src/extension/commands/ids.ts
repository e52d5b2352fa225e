/** Command ids (must match package.json contributes.commands). */
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
} as const;

export const CONTEXT_HAS_REPORT = 'gradientLens.hasReport';
