import type { Client, ClientOptions } from '../client/types.js';
import { createClient } from './createClient.js';

/**
 * Runs `fn` with a new client and always disconnects it afterwards, also when `fn` throws
 * (its error is rethrown). The client is lazy as usual: calls made before any subscription go
 * over HTTP, so a short-lived program opens no socket at all (SPEC §6).
 */
export async function withClient<T>(
  options: ClientOptions,
  fn: (client: Client) => T | Promise<T>,
): Promise<T> {
  const client = createClient(options);
  let result: T;
  try {
    result = await fn(client);
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw error;
  }
  await client.disconnect();
  return result;
}
