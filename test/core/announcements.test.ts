import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announcementsBetween } from '../../src/components/call/announcements.js';
import { INITIAL_SNAPSHOT, freezeSnapshot, type CallSnapshot, type ParticipantSnapshot } from '../../src/core/call-state.js';

const person = (id: string, name: string, patch: Partial<ParticipantSnapshot> = {}): ParticipantSnapshot => ({
  id,
  name,
  stream: null,
  screenStream: null,
  microphone: true,
  camera: true,
  screenSharing: false,
  connectionState: 'connected',
  quality: 'good',
  recording: false,
  ...patch,
});

const snapshot = (participants: ParticipantSnapshot[], patch: Partial<CallSnapshot> = {}): CallSnapshot =>
  freezeSnapshot({ ...INITIAL_SNAPSHOT, state: 'joined', selfId: 'me', name: 'Me', microphone: true, camera: true, participants, ...patch });

describe('screen-reader announcements', () => {
  it('announces joins, leaves, mutes and screen shares', () => {
    const before = snapshot([person('a', 'Ada'), person('b', 'Bo')]);
    const after = snapshot([person('a', 'Ada', { microphone: false, screenSharing: true }), person('c', 'Cy')], { microphone: false });
    assert.deepEqual(announcementsBetween(before, after), [
      { key: 'announce.muted', params: { name: 'Ada' } },
      { key: 'announce.screen', params: { name: 'Ada' } },
      { key: 'announce.joined', params: { name: 'Cy' } },
      { key: 'announce.left', params: { name: 'Bo' } },
      { key: 'announce.youMuted' },
    ]);
  });

  it('says nothing when nothing a person cares about changed, or outside a call', () => {
    const base = snapshot([person('a', 'Ada')]);
    assert.deepEqual(announcementsBetween(base, snapshot([person('a', 'Ada', { quality: 'poor' })])), []);
    assert.deepEqual(announcementsBetween(undefined, base), []);
    assert.deepEqual(announcementsBetween(snapshot([], { state: 'joining' }), base), []);
  });
});
