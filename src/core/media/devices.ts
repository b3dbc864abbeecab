/**
 * Cameras, microphones and speakers: listing them, and remembering the person's choice
 * for their next visit (in localStorage, which may be unavailable: then nothing is kept).
 */

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';
export const DEVICE_KINDS: readonly DeviceKind[] = ['audioinput', 'videoinput', 'audiooutput'];

export interface DeviceInfo {
  readonly deviceId: string;
  readonly kind: DeviceKind;
  /** Empty until the person has allowed camera or microphone once. */
  readonly label: string;
}

export type DeviceList = Readonly<Record<DeviceKind, readonly DeviceInfo[]>>;
export type SelectedDevices = Readonly<Record<DeviceKind, string | null>>;

export const NO_DEVICES: DeviceList = Object.freeze({ audioinput: [], videoinput: [], audiooutput: [] });
export const NO_SELECTION: SelectedDevices = Object.freeze({ audioinput: null, videoinput: null, audiooutput: null });

const STORAGE_PREFIX = 'rtc-elements:device:';

/** Every device the browser will tell about, by kind. */
export async function listDevices(): Promise<DeviceList> {
  if (!navigator.mediaDevices?.enumerateDevices) return NO_DEVICES;
  const all = await navigator.mediaDevices.enumerateDevices();
  const byKind: Record<DeviceKind, DeviceInfo[]> = { audioinput: [], videoinput: [], audiooutput: [] };
  for (const device of all) {
    if (!device.deviceId) continue;
    byKind[device.kind].push(Object.freeze({ deviceId: device.deviceId, kind: device.kind, label: device.label }));
  }
  return Object.freeze(byKind);
}

export function rememberedDevice(kind: DeviceKind): string | null {
  try {
    return localStorage.getItem(STORAGE_PREFIX + kind);
  } catch {
    return null;
  }
}

/** Remembers a choice for the next visit; `null` forgets it. */
export function rememberDevice(kind: DeviceKind, deviceId: string | null): void {
  try {
    if (deviceId === null) localStorage.removeItem(STORAGE_PREFIX + kind);
    else localStorage.setItem(STORAGE_PREFIX + kind, deviceId);
  } catch {
    // Storage blocked: the choice holds for this visit only.
  }
}

/** Whether this browser can choose where audio plays. */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}
