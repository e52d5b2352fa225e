// Shared harness for the real-VS-Code tests: a private code-server (VS Code 1.100 in the
// browser, Node extension host) with the .vsix installed, driven through playwright-core and
// Debian's Chromium.
//
// Needs scripts/e2e-setup.sh: scripts/e2e-install.sh puts code-server and playwright-core in
// $E2E_PREFIX (default /opt/vscode-e2e, the same default as here), then it builds the .vsix.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PREFIX = process.env.E2E_PREFIX || '/opt/vscode-e2e';
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const CODE_SERVER = path.join(PREFIX, 'node_modules/code-server/out/node/entry.js');
export const EXT_ID = 'gradient-lens.gradient-lens';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const normalize = (s) => s.replace(/\u00a0/g, ' ');

export function log(...a) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
}

export async function waitUntil(cond, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(250);
  }
}

/**
 * Resolves after the page (or frame) has painted twice: what a screenshot needs after a change,
 * without guessing how long the renderer takes on a loaded machine.
 */
export async function afterPaint(pageOrFrame) {
  await pageOrFrame.locator('body').evaluate(() => new Promise((r) => globalThis.requestAnimationFrame(() => globalThis.requestAnimationFrame(() => r(true)))));
}

/** Parses a JSON file once it is complete (it can exist before its last write). */
export async function readJsonWhenComplete(file, ms, what) {
  return waitUntil(
    () => {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        return false;
      }
    },
    ms,
    what,
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a private VS Code with the extension installed and a browser page on `workspace`.
 * `settings` are user settings added to the harness's quiet defaults.
 */
export async function startVsCode({ vsix, workspace, settings = {}, shots, trust = true }) {
  for (const [what, p] of [
    ['code-server (run scripts/e2e-setup.sh)', CODE_SERVER],
    ['chromium', CHROMIUM],
    ['the .vsix (npm run package)', vsix],
  ]) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found: ${p}`);
  }
  const { chromium } = createRequire(path.join(PREFIX, 'package.json'))('playwright-core');
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-e2e-'));
  const dirs = Object.fromEntries(['ud', 'ext', 'home', 'tmp', 'xdgConfig', 'xdgData'].map((d) => [d, path.join(run, d)]));
  Object.values(dirs).forEach((d) => fs.mkdirSync(d, { recursive: true }));
  // Private HOME/TMPDIR/XDG: code-server and Chromium write there otherwise.
  const env = { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData };
  for (const k of ['VSCODE_IPC_HOOK_CLI', 'ELECTRON_RUN_AS_NODE', 'NODE_OPTIONS']) delete env[k];
  fs.mkdirSync(path.join(dirs.ud, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.ud, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'workbench.tips.enabled': false,
        // trust: false -> Workspace Trust on, folders open in Restricted Mode without a prompt.
        'security.workspace.trust.enabled': !trust,
        ...(trust ? {} : { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'always' }),
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'workbench.enableExperiments': false,
        'git.enabled': false,
        // Time estimates vary with the load of the machine: no "cheaper settings?" offer unless
        // a test asks for it (estimate.e2e.mjs).
        'gradientLens.estimateThresholdSeconds': 0,
        ...settings,
      },
      null,
      2,
    ),
  );

  const cs = (args) => {
    const r = spawnSync(process.execPath, [CODE_SERVER, '--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext, ...args], {
      env,
      encoding: 'utf8',
      timeout: 120000,
    });
    if (r.status !== 0) throw new Error(`code-server ${args.join(' ')} -> ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  const t0 = Date.now();
  cs(['--install-extension', vsix]);
  const list = cs(['--list-extensions', '--show-versions']);
  if (!list.toLowerCase().includes(EXT_ID)) throw new Error(`${EXT_ID} not installed:\n${list}`);
  log(
    `installed ${path.basename(vsix)} in ${Date.now() - t0} ms: ${list
      .trim()
      .split('\n')
      .find((l) => l.toLowerCase().includes(EXT_ID))}`,
  );

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(run, 'code-server.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFd = fs.openSync(path.join(run, 'code-server.log'), 'a');
  const server = spawn(
    process.execPath,
    [
      CODE_SERVER,
      '--config',
      path.join(run, 'code-server.yaml'),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(trust ? ['--disable-workspace-trust'] : []),
      '--disable-getting-started-override',
      '--disable-proxy',
      '--user-data-dir',
      dirs.ud,
      '--extensions-dir',
      dirs.ext,
    ],
    { env, stdio: ['ignore', logFd, logFd], detached: true },
  );
  let browser;
  const stop = async () => {
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      try {
        process.kill(server.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const how = await Promise.race([exited.then(() => 'exit'), sleep(8000).then(() => 'timeout')]);
      // Sweep the process group we created (extension host, our analysis worker, watchers).
      try {
        process.kill(-server.pid, how === 'timeout' ? 'SIGKILL' : 'SIGTERM');
      } catch {
        /* empty */
      }
    }
  };
  process.on('exit', () => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  try {
    await waitUntil(
      async () => {
        if (server.exitCode !== null) throw new Error(`code-server exited early; see ${run}/code-server.log`);
        try {
          return (await fetch(`${base}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      60000,
      'code-server /healthz',
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
      env: { ...process.env, HOME: dirs.home, XDG_CONFIG_HOME: path.join(dirs.home, '.config'), XDG_CACHE_HOME: path.join(dirs.home, '.cache') },
    });
    const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    ctx.setDefaultTimeout(30000);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message.split('\n')[0]}`));
    // A loaded machine can take longer than the default 30 s to serve the workbench's scripts.
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: 'domcontentloaded', timeout: 120000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
    // Keys sent before the status bar is up can be lost; runCommand also retries its F1.
    await page.locator('.part.statusbar').waitFor({ timeout: 60000 });
    await afterPaint(page);
    return new VsCode({ page, run, dirs, stop, shots });
  } catch (e) {
    await stop();
    throw e;
  }
}

export class VsCode {
  constructor({ page, run, dirs, stop, shots }) {
    Object.assign(this, { page, run, dirs, stop, shots });
    this.shotNo = 0;
    if (shots) fs.mkdirSync(shots, { recursive: true });
  }

  async shot(name, locator) {
    if (!this.shots) return null;
    const file = path.join(this.shots, `${String(++this.shotNo).padStart(2, '0')}-${name}.png`);
    await (locator ?? this.page).screenshot({ path: file, timeout: 15000 });
    return file;
  }

  explorerRow(label) {
    return this.page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${label}"]`);
  }

  /** Expands Explorer folders along `relPath` and returns the file's row. */
  async revealInExplorer(relPath) {
    const parts = relPath.split('/');
    let parent = -1;
    for (let i = 0; ; i++) {
      // The row named parts[i] under the row found before (two folders can each hold a
      // model.onnx: the first row of that name would be the wrong file).
      const { index } = await waitUntil(
        () =>
          this.page.evaluate(
            ({ name, after }) => {
              const rows = [...document.querySelectorAll('.explorer-folders-view .monaco-list-row')]
                .map((r) => ({ index: Number(r.getAttribute('data-index')), label: r.getAttribute('aria-label'), level: Number(r.getAttribute('aria-level')) }))
                .sort((a, b) => a.index - b.index);
              const parentRow = rows.find((r) => r.index === after);
              for (const r of rows) {
                if (r.index <= after) continue;
                if (parentRow && r.level <= parentRow.level) return false; // left the parent's subtree
                if (r.label === name) return { index: r.index }; // an object: row 0 is not a miss
              }
              return false;
            },
            { name: parts[i], after: parent },
          ),
        30000,
        `the Explorer row ${parts.slice(0, i + 1).join('/')}`,
      );
      const row = this.page.locator(`.explorer-folders-view .monaco-list-row[data-index="${index}"]`);
      if (i === parts.length - 1) return row;
      if ((await row.getAttribute('aria-expanded')) !== 'true') {
        // A click on a loaded machine can select the folder without expanding it (the tree was
        // re-rendering): ArrowRight on the selected row expands it, and on an expanded row only
        // moves the focus down, so repeating it until the row says expanded is safe.
        await row.click();
        await waitUntil(
          async () => {
            if ((await row.getAttribute('aria-expanded')) === 'true') return true;
            await row.press('ArrowRight');
            return false;
          },
          30000,
          `the Explorer folder ${parts.slice(0, i + 1).join('/')} to expand`,
        );
      }
      parent = index;
    }
  }

  /**
   * Right-clicks an Explorer row and picks a context-menu item (the menu is in a shadow root).
   * The extension's items appear only once it has activated, which a loaded machine delays:
   * the menu is opened again until the item is listed.
   */
  async contextMenu(row, item) {
    const menu = this.page.locator('.monaco-menu').last();
    const exact = new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const entry = menu
      .locator('.action-item')
      .filter({ has: this.page.locator('.action-label', { hasText: exact }) })
      .first();
    let labels = [];
    const closeMenu = async () => {
      await this.page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden', timeout: 10000 }).catch(() => {});
    };
    await waitUntil(
      async () => {
        await row.click({ button: 'right' });
        try {
          await menu.waitFor({ state: 'visible', timeout: 10000 });
        } catch {
          // The right-click landed while the tree re-rendered (seen once in a fresh clone): again.
          await closeMenu();
          return false;
        }
        labels = (await menu.locator('.action-label').allInnerTexts()).map((s) => s.trim()).filter(Boolean);
        if (!labels.includes(item)) {
          await closeMenu();
          return false;
        }
        try {
          // A menu can close or move under the pointer while the workbench is still settling (a
          // fresh clone under load once left the item never "stable"): open it again.
          await entry.hover({ timeout: 10000 });
          await this.shot('context-menu');
          await entry.click({ timeout: 10000 });
        } catch {
          await closeMenu();
          return false;
        }
        return true;
      },
      90000,
      `"${item}" in the context menu`,
    );
    await menu.waitFor({ state: 'hidden' });
    return labels;
  }

  async runCommand(title) {
    // On a loaded machine the workbench can drop a key press while it is still wiring focus, and
    // a report panel that finishes opening takes focus and closes a palette already shown: start
    // again from F1 until the command's row is really clicked.
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator(`.quick-input-widget .monaco-list-row[aria-label^="${title}"]`).first();
    for (let attempt = 1; ; attempt++) {
      // Focus inside a webview (a focused heatmap cell, say) reaches the workbench only if the
      // page forwards the key: from the second try on, hand focus back to the workbench itself.
      if (attempt > 1) await this.page.evaluate(() => (document.activeElement?.tagName === 'IFRAME' ? document.activeElement.blur() : undefined));
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(`>${title}`, { timeout: 5000 });
        await row.waitFor({ timeout: 10000 });
        await row.click({ timeout: 5000 });
        return;
      } catch (e) {
        if (attempt === 6) throw e;
        if (await input.isVisible()) await this.page.keyboard.press('Escape');
      }
    }
  }

  /**
   * Notifications: Clear All Notifications, until no toast is left: a notification that arrives
   * while the first clear animates out (a late progress or info message) is cleared again.
   */
  async clearNotifications() {
    const toasts = this.page.locator('.notification-toast');
    for (let attempt = 1; ; attempt++) {
      await this.runCommand('Notifications: Clear All Notifications');
      try {
        await waitUntil(async () => (await toasts.count()) === 0, 10000, 'no notification toast');
        return;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
  }

  /** Developer: Reload Window, returning once the new page has loaded its workbench. */
  async reloadWindow() {
    const loaded = this.page.waitForEvent('load', { timeout: 60000 });
    await this.runCommand('Developer: Reload Window');
    await loaded;
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
  }

  /** The visible quick input (pick list or input box) whose title contains `title`. */
  async quickInputTitled(title, ms = 30000) {
    const widget = this.page.locator('.quick-input-widget');
    try {
      await waitUntil(async () => (await widget.isVisible()) && (await this.quickInputTitle()).includes(title), ms, `the quick input titled "${title}"`);
    } catch (e) {
      // Say what was there instead: another step's box, or nothing (the list lost focus).
      const shown = (await widget.isVisible()) ? `the quick input "${await this.quickInputTitle()}" was shown` : 'no quick input was shown';
      throw new Error(
        `${e.message}; ${shown}, focus on ${await this.page.evaluate(() => document.activeElement?.className || document.activeElement?.tagName || 'nothing')}`,
      );
    }
    return widget;
  }

  async quickInputTitle() {
    const t = this.page.locator('.quick-input-widget .quick-input-title');
    return (await t.count()) > 0 ? normalize((await t.first().textContent()) ?? '') : '';
  }

  /** Picks the row whose text contains `rowText` in the pick list titled `title`. */
  async pickInQuickInput(title, rowText) {
    const widget = await this.quickInputTitled(title);
    // Case-sensitive: "Seed" must not pick the Run row whose description says "seed 7".
    const row = widget.locator('.monaco-list-row', { hasText: new RegExp(rowText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).first();
    await waitUntil(
      async () => {
        if (await row.isVisible()) return true;
        if (!(await widget.isVisible())) throw new Error(`the pick list "${title}" closed before its row "${rowText}" showed`);
        return false;
      },
      30000,
      `the row "${rowText}" in the pick list "${title}"`,
    );
    await row.click({ timeout: 10000 });
  }

  /**
   * Runs `command`, then picks in each of its pick lists in turn (`steps`: [title, rowText,
   * optional inspect(widget) run on the shown list before the pick]). A report panel that
   * finishes opening on a loaded machine takes focus and closes a pick list already shown;
   * when a list is gone before its row was picked, the command starts again.
   */
  async runCommandAndPick(command, ...steps) {
    for (let attempt = 1; ; attempt++) {
      await this.runCommand(command);
      try {
        for (const [title, rowText, inspect] of steps) {
          if (inspect) await inspect(await this.quickInputTitled(title));
          await this.pickInQuickInput(title, rowText);
        }
        return;
      } catch (e) {
        if (attempt === 3 || (await this.page.locator('.quick-input-widget').isVisible())) throw e;
        log(`${command}: its pick list closed before the pick (attempt ${attempt}: ${e.message}); running it again`);
      }
    }
  }

  /**
   * Answers the input box titled `title` with `text`: Enter only once the box holds the text,
   * then waits until that box is gone (a pick list may follow with another title).
   */
  async answerInputBox(title, text) {
    const widget = await this.quickInputTitled(title);
    const input = widget.locator('input');
    await input.fill(text);
    await waitUntil(async () => (await input.inputValue()) === text, 10000, `"${text}" in the input box "${title}"`);
    await input.press('Enter');
    const closed = async () => !(await widget.isVisible()) || !(await this.quickInputTitle()).includes(title);
    // The simple file dialog (Open a JSON report) can take an Enter while it still lists the
    // folder, and then stays open, the path typed or rewritten by its completion (seen in a
    // fresh clone and under load): type the path again if it changed, then accept with OK.
    for (let attempt = 1; ; attempt++) {
      try {
        await waitUntil(closed, 15000, `the input box "${title}" to close`);
        return;
      } catch (e) {
        const value = await input.inputValue().catch(() => '(gone)');
        log(`input box "${title}" still open after Enter (attempt ${attempt}), holding "${value}"`);
        if (attempt === 4) throw e;
        if (value !== text) {
          await input.fill(text);
          await waitUntil(async () => (await input.inputValue()) === text, 10000, `"${text}" in the input box "${title}" again`);
        }
        const ok = widget.locator('.monaco-button', { hasText: /^OK$/ });
        if (await ok.isVisible()) await ok.click();
        else await input.press('Enter');
      }
    }
  }

  /**
   * Opens `file` in VS Code's simple file dialog titled `title`: first its folder, waiting until
   * the dialog lists the file (an Enter while it still lists the folder is lost), then the path.
   */
  async answerFileDialog(title, file) {
    const widget = await this.quickInputTitled(title);
    const input = widget.locator('input');
    const folder = file.slice(0, file.lastIndexOf('/') + 1);
    const name = file.slice(folder.length);
    await input.fill(folder);
    // A dialog still starting up can put its own start folder over the typed one: type it again.
    const listed = async () => {
      if (!(await input.inputValue()).startsWith(folder)) await input.fill(folder);
      return (await widget.locator('.monaco-list-row', { hasText: name }).count()) > 0;
    };
    try {
      await waitUntil(listed, 30000, `the file dialog "${title}" to list ${name}`);
    } catch (e) {
      const rows = await widget.locator('.monaco-list-row').allInnerTexts();
      throw new Error(`${e.message}; it holds "${await input.inputValue()}" and lists ${rows.length} row(s): ${rows.slice(0, 5).join(' | ')}`);
    }
    await this.answerInputBox(title, file);
  }

  /** The page inside the visible webview (outer iframe.webview -> inner iframe#active-frame). */
  webviewFrame() {
    return this.page.locator('iframe.webview.ready:visible').last().contentFrame().locator('iframe#active-frame').contentFrame();
  }

  /** The extension's LogOutputChannel file ("Gradient Lens.log") under the user-data logs. */
  extensionLog() {
    const found = [];
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'Gradient Lens.log') found.push(p);
      }
    };
    const logs = path.join(this.dirs.ud, 'logs');
    if (fs.existsSync(logs)) walk(logs);
    found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    return found.length > 0 ? fs.readFileSync(found[0], 'utf8') : '';
  }

  /** A user setting as VS Code wrote it to settings.json (`dflt` when absent or unreadable). */
  userSetting(key, dflt) {
    try {
      const all = JSON.parse(fs.readFileSync(path.join(this.dirs.ud, 'User', 'settings.json'), 'utf8'));
      return key in all ? all[key] : dflt;
    } catch {
      return dflt;
    }
  }

  /** Waits for the results panel's tab; fails at once if an error notification appears instead. */
  async waitForResults(fileName, ms) {
    const tab = this.page.locator('.tab', { hasText: `Gradient Lens: ${fileName}` });
    const error = this.page.locator('.notification-toast').filter({ has: this.page.getByRole('button', { name: 'Show details' }) });
    await waitUntil(
      async () => {
        if ((await error.count()) > 0) throw new Error(`the analysis failed: ${normalize(await error.first().innerText()).replace(/\s+/g, ' ')}`);
        return (await tab.count()) > 0;
      },
      ms,
      `the results panel for ${fileName}`,
    );
  }

  async waitForLog(pattern, ms, what) {
    return waitUntil(
      () => {
        const m = pattern.exec(this.extensionLog());
        return m ?? false;
      },
      ms,
      what ?? `log line ${pattern}`,
    );
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the test body with a global timeout, prints PASS/FAIL, always stops VS Code. */
export async function runTest(name, timeoutSec, body) {
  let vscode;
  const timer = setTimeout(async () => {
    console.error(`${name}: global timeout of ${timeoutSec}s`);
    if (vscode) {
      await vscode.shot('TIMEOUT').catch(() => {});
      await vscode.stop();
    }
    process.exit(3);
  }, timeoutSec * 1000);
  const t0 = Date.now();
  try {
    await body((v) => (vscode = v));
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    clearTimeout(timer);
    await vscode?.stop();
    if (vscode) fs.rmSync(vscode.run, { recursive: true, force: true });
    process.exit(0);
  } catch (e) {
    log(`FAIL ${name}: ${e.stack ?? e}`);
    if (vscode) {
      await vscode.shot('FAILED').catch(() => {});
      const tail = vscode.extensionLog().split('\n').slice(-40).join('\n');
      if (tail) console.log(`---- Gradient Lens.log (tail) ----\n${tail}`);
      console.log(`run dir kept: ${vscode.run}`);
    }
    clearTimeout(timer);
    await vscode?.stop();
    process.exit(1);
  }
}
