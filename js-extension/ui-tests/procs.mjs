// Reading /proc: process trees, groups and start times, so the test can say
// "every process of this session is gone" without trusting a bare pid.
import { readdirSync, readFileSync } from 'node:fs';

/** {pid, ppid, pgid, state, starttime, comm} of a live pid, or null. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); starttime is field 22.
  return {
    pid,
    comm,
    state: f[0],
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    starttime: f[19]
  };
}

export function allProcs() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const s = procStat(Number(name));
      if (s) {
        out.push(s);
      }
    }
  }
  return out;
}

/**
 * The processes of a session: its leader, everything below it (Xvfb runs
 * in its own group but is the leader's child), and its process group.
 */
export function sessionProcs(pid, pgid) {
  const procs = allProcs();
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) {
      children.set(p.ppid, []);
    }
    children.get(p.ppid).push(p);
  }
  const found = new Map();
  const todo = procs.filter(p => p.pid === pid || (pgid && p.pgid === pgid));
  while (todo.length) {
    const p = todo.pop();
    if (found.has(p.pid)) {
      continue;
    }
    found.set(p.pid, p);
    todo.push(...(children.get(p.pid) ?? []));
  }
  return [...found.values()];
}

/** Those of `procs` still running (same pid and start time, not a zombie). */
export function stillRunning(procs) {
  return procs.filter(p => {
    const now = procStat(p.pid);
    return now && now.starttime === p.starttime && now.state !== 'Z';
  });
}
