/**
 * Our socket.io client against the real signal server (attached to the test runner's own
 * server): events both ways, acknowledgements, a refused or unreachable server, and
 * reconnection after the server threw it out.
 */
import { expect, waitUntil } from '@open-wc/testing';
import { SocketIoConnection, socketIoEndpoint, type ConnectionHooks } from '../../src/core/signaling/socket-io-connection.js';
import type { JoinAnswer, ParticipantInfo, RelayedSignal } from '../../src/protocol/index.js';

interface Probe {
  connection: SocketIoConnection;
  connects: number;
  disconnects: Array<'server' | 'lost'>;
  errors: Error[];
}

const options = { connectTimeoutMs: 4000, reconnectDelayMs: 100, reconnectDelayMaxMs: 1000 };
const open: SocketIoConnection[] = [];

function probe(url = location.origin): Probe {
  const result: Probe = { connects: 0, disconnects: [], errors: [] } as unknown as Probe;
  const hooks: ConnectionHooks = {
    onConnect: () => result.connects++,
    onDisconnect: (reason) => result.disconnects.push(reason),
    onConnectError: (error) => result.errors.push(error),
  };
  result.connection = new SocketIoConnection(url, hooks, options);
  open.push(result.connection);
  return result;
}

const room = (): string => `sio-${Math.random().toString(36).slice(2, 10)}`;

describe('SocketIoConnection', () => {
  afterEach(() => {
    for (const connection of open.splice(0)) connection.close();
  });

  it('finds the Engine.IO endpoint under any server URL', () => {
    expect(socketIoEndpoint('http://localhost:3000')).to.equal('ws://localhost:3000/socket.io/?EIO=4&transport=websocket');
    expect(socketIoEndpoint('https://example.com/rtc')).to.equal('wss://example.com/rtc/socket.io/?EIO=4&transport=websocket');
  });

  it('joins with an acknowledgement, and relays events both ways', async () => {
    const ada = probe();
    const bo = probe();
    const joined: ParticipantInfo[] = [];
    const signals: RelayedSignal[] = [];
    ada.connection.on('participant-joined', (p: ParticipantInfo) => joined.push(p));
    ada.connection.on('signal', (s: RelayedSignal) => signals.push(s));
    ada.connection.open();
    bo.connection.open();
    await waitUntil(() => ada.connects === 1 && bo.connects === 1, 'both connected');

    const name = room();
    const adaAnswer = await ada.connection.request<JoinAnswer>('join', { room: name, name: 'Ada' }, 4000);
    const boAnswer = await bo.connection.request<JoinAnswer>('join', { room: name, name: 'Bo' }, 4000);
    if (!adaAnswer.ok || !boAnswer.ok) throw new Error('join refused');
    expect(boAnswer.participants.map((p) => p.name)).to.deep.equal(['Ada']);
    await waitUntil(() => joined.length === 1, 'Ada hears of Bo');
    expect(joined[0]!.name).to.equal('Bo');

    expect(bo.connection.emit('signal', { to: adaAnswer.selfId, data: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 } } })).to.equal(true);
    await waitUntil(() => signals.length === 1, 'the signal reaches Ada');
    expect(signals[0]!.from).to.equal(boAnswer.selfId);
  });

  it('carries a refusal in the acknowledgement', async () => {
    const ada = probe();
    ada.connection.open();
    await waitUntil(() => ada.connects === 1, 'connected');
    const answer = await ada.connection.request<JoinAnswer>('join', { room: '', name: 'Ada' }, 4000);
    expect(answer.ok).to.equal(false);
    if (!answer.ok) expect(answer.error.code).to.equal('invalid-input');
  });

  it('says when the server cannot be reached, and sends nothing meanwhile', async () => {
    const lost = probe('http://127.0.0.1:9');
    lost.connection.open();
    await waitUntil(() => lost.errors.length >= 1, 'a connect error');
    expect(lost.connects).to.equal(0);
    expect(lost.connection.emit('update', { microphone: false })).to.equal(false);
    let refused: unknown;
    await lost.connection.request('join', { room: room(), name: 'Ada' }, 4000).catch((error) => (refused = error));
    expect(String(refused)).to.contain('not connected');
  });

  it('reconnects by itself after the server threw it out for flooding', async () => {
    const ada = probe();
    ada.connection.open();
    await waitUntil(() => ada.connects === 1, 'connected');
    // Far past the per-connection abuse threshold: the server disconnects this client.
    for (let i = 0; i < 1500 && ada.connection.connected; i++) ada.connection.emit('update', { microphone: i % 2 === 0 });
    await waitUntil(() => ada.disconnects.length === 1, 'thrown out', { timeout: 5000 });
    expect(ada.disconnects[0]).to.equal('server');
    await waitUntil(() => ada.connects === 2, 'connected again', { timeout: 5000 });
    const answer = await ada.connection.request<JoinAnswer>('join', { room: room(), name: 'Ada' }, 4000);
    expect(answer.ok).to.equal(true);
  });

  it('stays closed after close()', async () => {
    const ada = probe();
    ada.connection.open();
    await waitUntil(() => ada.connects === 1, 'connected');
    ada.connection.close();
    expect(ada.connection.connected).to.equal(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(ada.connects).to.equal(1);
    expect(ada.disconnects).to.deep.equal([]);
  });
});
