import { expect, waitUntil } from '@open-wc/testing';
import type { SignalData } from '../../src/protocol/index.js';
import { Negotiator } from '../../src/core/peer/negotiator.js';

interface Side {
  pc: RTCPeerConnection;
  negotiator: Negotiator;
  errors: unknown[];
}

/**
 * Two peer connections in one page joined by an in-order channel with latency, like a
 * signal server: enough delay that offers made at the same moment cross in flight.
 */
function connectedPair(latencyMs: number): [Side, Side] {
  const make = (polite: boolean, deliver: (data: SignalData) => void): Side => {
    const pc = new RTCPeerConnection();
    const errors: unknown[] = [];
    const negotiator = new Negotiator(pc, { polite, send: deliver, onError: (e) => errors.push(e) });
    return { pc, negotiator, errors };
  };
  let a!: Side;
  let b!: Side;
  const via = (target: () => Side) => (data: SignalData) => {
    // JSON round trip: what crosses the wire is data, not live objects.
    const copy = JSON.parse(JSON.stringify(data)) as SignalData;
    setTimeout(() => void target().negotiator.handle(copy), latencyMs);
  };
  a = make(false, via(() => b));
  b = make(true, via(() => a));
  return [a, b];
}

function settled(...sides: Side[]): boolean {
  return sides.every((s) => s.pc.signalingState === 'stable' && s.pc.connectionState === 'connected');
}

function negotiatedKinds(side: Side): string[] {
  return side.pc
    .getTransceivers()
    .filter((t) => t.mid !== null && t.currentDirection !== null)
    .map((t) => t.receiver.track.kind)
    .sort();
}

describe('Negotiator (perfect negotiation)', () => {
  let sides: Side[] = [];
  afterEach(() => {
    for (const s of sides) {
      s.negotiator.dispose();
      s.pc.close();
    }
    sides = [];
  });

  it('reaches stable on both sides when both offer at the same moment (glare)', async () => {
    const [a, b] = connectedPair(30);
    sides = [a, b];
    // Both sides start sending camera and microphone at once: two offers cross in flight.
    for (const side of [a, b]) {
      side.pc.addTransceiver('audio', { direction: 'sendrecv' });
      side.pc.addTransceiver('video', { direction: 'sendrecv' });
    }

    await waitUntil(() => settled(a, b), 'both sides stable and connected', { timeout: 10000 });
    // The polite side's own transceivers were rolled back, then offered in a second round.
    await waitUntil(() => negotiatedKinds(a).length === 4 && negotiatedKinds(b).length === 4, 'every m-line negotiated', {
      timeout: 10000,
    });

    expect(a.negotiator.collisions + b.negotiator.collisions, 'offers collided').to.be.greaterThan(0);
    expect(negotiatedKinds(a)).to.deep.equal(['audio', 'audio', 'video', 'video']);
    expect(negotiatedKinds(b)).to.deep.equal(['audio', 'audio', 'video', 'video']);
    expect(a.errors, 'impolite side errors').to.deep.equal([]);
    expect(b.errors, 'polite side errors').to.deep.equal([]);
  });

  it('survives glare again in the middle of a connected call', async () => {
    const [a, b] = connectedPair(30);
    sides = [a, b];
    a.pc.addTransceiver('audio', { direction: 'sendrecv' });
    await waitUntil(() => settled(a, b), 'first negotiation', { timeout: 10000 });
    const before = a.negotiator.collisions + b.negotiator.collisions;

    a.pc.addTransceiver('video', { direction: 'sendrecv' });
    b.pc.addTransceiver('video', { direction: 'sendrecv' });

    await waitUntil(() => settled(a, b) && negotiatedKinds(a).length === 3 && negotiatedKinds(b).length === 3, 'renegotiated', {
      timeout: 10000,
    });
    expect(a.negotiator.collisions + b.negotiator.collisions).to.be.greaterThan(before);
    expect(a.pc.connectionState).to.equal('connected');
    expect([...a.errors, ...b.errors]).to.deep.equal([]);
  });

  it('restarts ICE and stays connected', async () => {
    const [a, b] = connectedPair(10);
    sides = [a, b];
    a.pc.addTransceiver('audio', { direction: 'sendrecv' });
    await waitUntil(() => settled(a, b), 'connected', { timeout: 10000 });
    const ufrag = (pc: RTCPeerConnection) => /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1];
    const before = ufrag(b.pc);

    b.negotiator.restartIce();

    await waitUntil(() => ufrag(b.pc) !== before && settled(a, b), 'new ICE credentials, stable again', { timeout: 10000 });
    expect([...a.errors, ...b.errors]).to.deep.equal([]);
  });
});
