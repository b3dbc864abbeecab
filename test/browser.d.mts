export function findChromium(): string | undefined;
export const QUIET_FLAGS: string[];
export const FAKE_MEDIA_FLAGS: string[];
export const ALLOW_MEDIA_FLAGS: string[];
