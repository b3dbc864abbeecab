import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connect, joinOk, startServer } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('signal server: memory per connection', () => {
  it('lets a websocket connection\'s upgrade request go once the connection is open', async (t) => {
    const server = await startServer(t);
    let request: WeakRef<IncomingMessage> | undefined;
    server.signal.io.engine.on('initial_headers', (_headers: unknown, req: IncomingMessage) => {
      request = new WeakRef(req);
    });
    const client = await connect(t, server);
    // Still a working connection.
    await joinOk(client, { room: 'memory', name: 'Ada' });
    assert.ok(request, 'the handshake was seen');
    // A WeakRef keeps its target until the job that made (or dereferenced) it is over: a
    // GC in a later job, then the check.
    let released = false;
    for (let i = 0; i < 3 && !released; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      released = request.deref() === undefined;
    }
    assert.ok(released, 'the upgrade request is still held');
  });
});
