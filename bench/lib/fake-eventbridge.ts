import { createServer, type Server } from 'node:http';

/**
 * Answers EventBridge PutEvents with success for every entry, so the stream publisher's cold
 * start can be measured without AWS (pointed at it with AWS_ENDPOINT_URL_EVENTBRIDGE).
 */
export async function startFakeEventBridge(): Promise<{ endpoint: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let entries = 0;
      try {
        entries = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: unknown[] }).Entries?.length ?? 0;
      } catch {
        entries = 0;
      }
      received += entries;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({ FailedEntryCount: 0, Entries: Array.from({ length: entries }, (_, index) => ({ EventId: `bench-${received}-${index}` })) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
