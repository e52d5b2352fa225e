/**
 * Every command is registered here, from one table keyed like COMMANDS: each feature module
 * supplies the handlers of its own commands, and the compiler checks that together they cover
 * every id (so a command in package.json cannot be left without a handler, or registered twice
 * from two files).
 */
import * as vscode from 'vscode';
import { COMMANDS, type CommandKey } from './ids';

/** Arguments come from VS Code (menus, command links, executeCommand), so handlers check them. */
export type CommandHandler = (...args: unknown[]) => unknown;

/** The handlers of some commands (a feature's part of the table). */
export type CommandHandlers<K extends CommandKey> = { readonly [P in K]: CommandHandler };

export function registerCommandTable(handlers: CommandHandlers<CommandKey>): vscode.Disposable[] {
  return (Object.keys(COMMANDS) as CommandKey[]).map((key) => vscode.commands.registerCommand(COMMANDS[key], handlers[key]));
}
