/** Command ids (must match package.json contributes.commands). */
export const COMMANDS = {
  analyze: 'gradientLens.analyze',
  showReport: 'gradientLens.showReport',
  rerunWithSettings: 'gradientLens.rerunWithSettings',
  cancel: 'gradientLens.cancelAnalysis',
  showOutput: 'gradientLens.showOutput',
} as const;

export const CONTEXT_HAS_REPORT = 'gradientLens.hasReport';
