import type { IncomingMessage } from 'node:http';
import { StatewireError } from '../../errors/StatewireError.js';

function tooLarge(limit: number): StatewireError {
  return new StatewireError('PAYLOAD_TOO_LARGE', `body larger than ${limit} bytes`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body of at most `limit` bytes. Past the limit it stops reading (the
 * rest is never buffered) and throws PAYLOAD_TOO_LARGE; the caller answers with
 * `connection: close` so the unread rest goes with the socket.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: unknown, value?: unknown) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        finish(null, JSON.parse(utf8.decode(Buffer.concat(chunks, size))));
      } catch {
        finish(new StatewireError('BAD_REQUEST', 'body is not valid JSON'));
      }
    };
    const onGone = () => finish(new StatewireError('BAD_REQUEST', 'request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
