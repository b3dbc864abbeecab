import { defineElement } from '../shared/define.js';
import { RtcParticipantGrid } from './participant-grid.js';

export { RtcParticipantGrid };
defineElement('rtc-participant-grid', RtcParticipantGrid);

declare global {
  interface HTMLElementTagNameMap {
    'rtc-participant-grid': RtcParticipantGrid;
  }
}
