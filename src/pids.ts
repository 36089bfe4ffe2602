// Whether a process is alive: what lock files and half-made folders are judged by, at every stage.

/** Whether a process with this pid exists (owned by anyone). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
