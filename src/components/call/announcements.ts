import type { CallSnapshot } from '../../core/call-state.js';
import type { MessageKey } from '../../i18n/index.js';

export interface Announcement {
  key: MessageKey;
  params?: Record<string, string>;
}

/**
 * What a screen-reader user should hear about the change between two snapshots: who
 * joined or left, who muted or unmuted, who started sharing a screen, and our own mute.
 */
export function announcementsBetween(previous: CallSnapshot | undefined, next: CallSnapshot): Announcement[] {
  if (!previous || next.state !== 'joined' || previous.state !== 'joined') return [];
  const out: Announcement[] = [];
  const before = new Map(previous.participants.map((p) => [p.id, p]));
  const after = new Map(next.participants.map((p) => [p.id, p]));
  for (const p of next.participants) {
    const old = before.get(p.id);
    if (!old) out.push({ key: 'announce.joined', params: { name: p.name } });
    else {
      if (old.microphone !== p.microphone) out.push({ key: p.microphone ? 'announce.unmuted' : 'announce.muted', params: { name: p.name } });
      if (!old.screenSharing && p.screenSharing) out.push({ key: 'announce.screen', params: { name: p.name } });
    }
  }
  for (const p of previous.participants) if (!after.has(p.id)) out.push({ key: 'announce.left', params: { name: p.name } });
  if (previous.microphone !== next.microphone) out.push({ key: next.microphone ? 'announce.youUnmuted' : 'announce.youMuted' });
  return out;
}
