// `npm start` runs as npm → sh → tsx → node. A terminal's Ctrl-C reaches the whole process group,
// but a process manager's `kill <npm pid>` stops npm alone: sh does not pass the signal on, and the
// stack (API, DynamoDB Local's java) would live on as orphans. So the stack watches the processes
// that launched it and stops itself when one of them is gone. Linux /proc only; elsewhere a no-op.
import { readFileSync } from 'node:fs';

export interface ProcessId {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), so a reused pid is not taken for it. */
  startTime: string;
}

/** The pid and start time of a process; null when it does not exist (or /proc is not there). */
export function processId(pid: number): (ProcessId & { ppid: number }) | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone, or no /proc on this system
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTime = fields[19];
  if (state === 'Z' || state === 'X' || startTime === undefined) return null; // exited, not yet reaped
  return { pid, ppid, startTime };
}

/** The chain of processes above this one, nearest first, up to (not including) init. */
export function launchers(from: number = process.ppid): ProcessId[] {
  const chain: ProcessId[] = [];
  let current = processId(from);
  while (current !== null && current.pid > 1 && chain.length < 32) {
    chain.push({ pid: current.pid, startTime: current.startTime });
    current = processId(current.ppid);
  }
  return chain;
}

/** Whether the process is still the one that was recorded. */
export const alive = (id: ProcessId): boolean => processId(id.pid)?.startTime === id.startTime;

/**
 * Calls `onGone` once, as soon as one of `watched` has exited; the timer never keeps the process
 * alive. Returns a function that stops watching.
 */
export function watchProcesses(
  watched: readonly ProcessId[],
  onGone: (gone: ProcessId) => void,
  intervalMs = 1000,
): () => void {
  const timer = setInterval(() => {
    const gone = watched.find((id) => !alive(id));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
