// One `firefox-launcher serve` for a browser suite (files, keyboard, page): started in a process
// group of its own, its output kept, found through its runtime file, and stopped at the end so
// that the suite can judge its exit. It is signalled only while it is our unreaped child, and it
// stops its sessions itself if this process dies.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { deadline, waitFor } from './common.mjs';

export class Sidecar {
  /**
   * Starts `bin serve --port 0 --home home ...args` (with `spawnOptions`, e.g. `cwd`; its `env`
   * adds to this process's environment). Its HOME is
   * a directory inside `home`: serve writes the control host's manifest to
   * ~/.mozilla/native-messaging-hosts/, which must not be the runner's own.
   */
  constructor(bin, home, args = [], spawnOptions = {}) {
    this.home = home;
    this.userHome = join(home, 'user-home');
    mkdirSync(this.userHome, { recursive: true, mode: 0o700 });
    this.output = [];
    this.process = spawn(bin, ['serve', '--port', '0', '--home', home, ...args], {
      ...spawnOptions,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...spawnOptions.env, FIREFOX_LAUNCHER_HOME: home, HOME: this.userHome },
    });
    this.process.stdout.on('data', d => this.output.push(String(d)));
    this.process.stderr.on('data', d => this.output.push(String(d)));
    this.exited = new Promise(r => this.process.on('exit', (code, signal) => r({ code, signal })));
  }

  running() {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  log() {
    return this.output.join('');
  }

  /** Its runtime file (address and token), once written; throws if it exits first. */
  runtime() {
    return waitFor('the sidecar\'s runtime.json', () => {
      if (!this.running()) {
        throw new Error(`serve exited early: ${this.log()}`);
      }
      try {
        return JSON.parse(readFileSync(join(this.home, 'runtime.json'), 'utf8'));
      } catch {
        return null;
      }
    }, 30_000);
  }

  /**
   * SIGTERM to its group, then up to 20 s for it to exit (it stops its sessions first); SIGKILL
   * after that. Returns its exit ({code, signal}), or null if it had to be killed.
   */
  async stop() {
    if (this.running()) {
      process.kill(-this.process.pid, 'SIGTERM');
    }
    const exit = await Promise.race([this.exited, deadline(20_000)]);
    if (exit === null && this.running()) {
      process.kill(-this.process.pid, 'SIGKILL');
      await Promise.race([this.exited, deadline(5_000)]);
    }
    return exit;
  }
}
