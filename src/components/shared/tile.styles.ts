import { css } from 'lit';

/** The look shared by the local and remote video tiles. */
export const tileStyles = css`
  :host {
    display: block;
    position: relative;
    min-width: 0;
    min-height: 0;
  }
  .tile {
    position: relative;
    width: 100%;
    height: 100%;
    aspect-ratio: var(--rtc-tile-aspect-ratio, 16 / 9);
    background: var(--rtc-tile-background, var(--_surface));
    border-radius: var(--_radius);
    overflow: hidden;
    display: grid;
    place-items: center;
  }
  video {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
    object-fit: var(--rtc-video-fit, cover);
    background: transparent;
  }
  .hidden {
    visibility: hidden;
  }
  .avatar {
    position: relative;
    width: 30%;
    max-width: 96px;
    aspect-ratio: 1;
    border-radius: 50%;
    background: var(--rtc-avatar-background, var(--_surface-2));
    display: grid;
    place-items: center;
    font-size: clamp(14px, 3vw, 32px);
    font-weight: 600;
  }
  .label {
    position: absolute;
    left: var(--_gap);
    bottom: var(--_gap);
    max-width: calc(100% - 2 * var(--_gap));
    display: flex;
    align-items: center;
    gap: 4px;
    padding: 2px 8px;
    border-radius: 999px;
    background: var(--_overlay);
    color: var(--_overlay-text);
    font-size: 0.85rem;
  }
  .name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .indicator {
    display: inline-flex;
    color: var(--_mic-off);
  }
  .indicator svg {
    width: 16px;
    height: 16px;
  }
  .state {
    position: absolute;
    top: var(--_gap);
    right: var(--_gap);
    padding: 2px 8px;
    border-radius: 999px;
    background: var(--_overlay);
    color: var(--_overlay-text);
    font-size: 0.8rem;
  }
  .state[data-state='failed'] {
    /* Darkened: small text needs 4.5:1 on it, which the plain danger colour gives only in light. */
    background: color-mix(in srgb, var(--_danger) 80%, #000);
    color: var(--_danger-text);
  }
  .state[data-state='reconnecting'] {
    color: var(--_warning-text);
    background: var(--_warning);
  }
`;

/** Up to two initials for the avatar shown when the camera is off. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return words.slice(0, 2).map((w) => [...w][0]!.toUpperCase()).join('') || '?';
}
