/**
 * Whether a process of this machine is still running, for the two places that clean up after a
 * process that died (the budget ledger's open reservations, a writer's temporary files).
 *
 * Only "no such process" (ESRCH) is dead. Every other answer — EPERM (it exists but belongs to
 * another user), or an error we do not know — counts as alive: acting on a process that is in
 * fact alive would delete a file it is still writing or release a reservation it still holds,
 * while waiting on a dead one only delays a cleanup (the ledger's age limit ends it anyway).
 */
export function processAlive(pid: number, kill: (pid: number, signal: number) => unknown = (p, s) => process.kill(p, s)): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException | undefined)?.code !== "ESRCH";
  }
}
