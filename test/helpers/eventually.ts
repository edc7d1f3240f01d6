// Waiting for what a background loop (the applier, the stream poller, a drift run) does next.

/** Polls `probe` until it returns a value (not undefined), at most `ms`. */
export const eventually = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Polls `done` until it holds, at most `ms`. */
export const until = async (what: string, done: () => boolean, ms = 30_000): Promise<void> => {
  await eventually(what, async () => (done() ? true : undefined), ms);
};
