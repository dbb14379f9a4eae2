/** Files that hold what left the machine or what was spent: readable by their owner only. */
export const PRIVATE_FILE = 0o600;
