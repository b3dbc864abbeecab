import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INITIAL_SNAPSHOT, assertTransition, canTransition, freezeSnapshot, toConnectionState, type CallState } from '../../src/core/call-state.js';

const STATES: CallState[] = ['idle', 'joining', 'joined', 'reconnecting', 'left', 'failed'];

describe('call state transitions', () => {
  it('allows the moves of a normal call', () => {
    const path: CallState[] = ['idle', 'joining', 'joined', 'reconnecting', 'joined', 'left', 'joining', 'failed', 'joining'];
    for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} -> ${path[i]}`);
  });

  it('rejects jumps that skip a step', () => {
    for (const [from, to] of [
      ['idle', 'joined'],
      ['idle', 'reconnecting'],
      ['left', 'joined'],
      ['left', 'reconnecting'],
      ['joining', 'reconnecting'],
      ['failed', 'joined'],
    ] as const) {
      assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
      assert.throws(() => assertTransition(from, to), /Illegal call state change/);
    }
  });

  it('lets every state be left, except left itself which is final until a new join', () => {
    for (const state of STATES) {
      if (state === 'left') continue;
      assert.ok(canTransition(state, 'left'), `${state} -> left`);
    }
  });

  it('maps peer connection states to what a person reads', () => {
    assert.equal(toConnectionState('new'), 'connecting');
    assert.equal(toConnectionState('connecting'), 'connecting');
    assert.equal(toConnectionState('connected'), 'connected');
    assert.equal(toConnectionState('disconnected'), 'reconnecting');
    assert.equal(toConnectionState('failed'), 'failed');
  });

  it('freezes the snapshot and its participants', () => {
    const snapshot = freezeSnapshot({
      ...INITIAL_SNAPSHOT,
      state: 'joined',
      selfId: 'a',
      name: 'Ada',
      participants: [
        {
          id: 'b',
          name: 'Bo',
          stream: null,
          screenStream: null,
          microphone: true,
          camera: false,
          screenSharing: false,
          connectionState: 'connected',
          quality: 'unknown',
          recording: false,
        },
      ],
    });
    assert.ok(Object.isFrozen(snapshot));
    assert.ok(Object.isFrozen(snapshot.participants));
    assert.ok(Object.isFrozen(snapshot.participants[0]));
    assert.ok(Object.isFrozen(snapshot.chat));
    assert.ok(Object.isFrozen(snapshot.transfers));
    assert.throws(() => {
      (snapshot as { state: string }).state = 'left';
    }, TypeError);
  });
});
