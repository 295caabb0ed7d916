/** `Name: first line of the message`, for logs and the dead-letter error header. Never the
 * payload: Lockstep's own messages do not quote it, and only the first line is kept. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
