import { createContext } from '@lit/context';
import type { Call } from '../../core/call.js';

/** Carries the enclosing `<rtc-call>`'s `Call` down to every element inside it. */
export const callContext = createContext<Call | undefined>(Symbol.for('rtc-elements/call'));
