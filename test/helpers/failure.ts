// The error a promise rejects with, for tests that look at more than its message (class, code, fields).

/** The error a promise rejects with (fails the test when it resolves). */
export const failure = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a rejection');
};
