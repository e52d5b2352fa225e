/** The "Gradient Lens" Output channel: lifecycle, timings, worker output, full error details. */
import * as vscode from 'vscode';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('Gradient Lens', { log: true });
}

/**
 * Shows an error with a "Show details" button that opens the Output channel; the details
 * (stack, stderr) are written to the channel first so they are there when it opens.
 */
export async function showErrorWithDetails(log: Log, message: string, details?: string): Promise<void> {
  log.error(details ? `${message}\n${details}` : message);
  const choice = await vscode.window.showErrorMessage(`Gradient Lens: ${message}`, 'Show details');
  if (choice === 'Show details') log.show(true);
}
