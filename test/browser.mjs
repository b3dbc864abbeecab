// Finding the browser and the flags every test run uses, shared by web-test-runner and
// the end-to-end tests, so a fake camera works the same everywhere.
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium to drive: `CHROMIUM_PATH`, else the first one installed. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** Headless, quiet on a closed network, and able to run as root. */
export const QUIET_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--autoplay-policy=no-user-gesture-required',
];

/** A fake camera (a moving test pattern) and microphone (a beep). */
export const FAKE_MEDIA_FLAGS = ['--use-fake-device-for-media-stream'];

/** Answers every camera/microphone/screen prompt with yes; leave it out to get "denied". */
export const ALLOW_MEDIA_FLAGS = ['--use-fake-ui-for-media-stream'];
