// What the cloud stand-ins share on the wire: reading a request's body.
import type { IncomingMessage } from 'node:http';

export const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};
