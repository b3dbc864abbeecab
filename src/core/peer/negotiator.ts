import type { SignalData } from '../../protocol/index.js';

export type SendSignal = (data: SignalData) => void;

export interface NegotiatorOptions {
  /** The polite side yields on glare: it rolls its own offer back and answers the other. */
  polite: boolean;
  send: SendSignal;
  /** Runs between applying a remote offer and creating the answer, to attach local media. */
  beforeAnswer?: () => void;
  /**
   * The other side offers first: `negotiationneeded` makes no offer of ours until their
   * first one was applied (made ahead of it, our connection would otherwise collide with it).
   */
  awaitOffer?: boolean;
  onError: (error: unknown) => void;
}

/**
 * The W3C "perfect negotiation" pattern for one RTCPeerConnection. Either side may
 * renegotiate at any time (tracks added, ICE restart); when both offer at once, the
 * impolite side ignores the incoming offer and the polite side rolls back and answers.
 */
export class Negotiator {
  readonly #pc: RTCPeerConnection;
  readonly #options: NegotiatorOptions;
  #makingOffer = false;
  #ignoreOffer = false;
  #isSettingRemoteAnswerPending = false;
  #closed = false;
  #awaitingOffer: boolean;
  /** How many colliding offers were seen; tests use it to prove glare happened. */
  collisions = 0;

  constructor(pc: RTCPeerConnection, options: NegotiatorOptions) {
    this.#pc = pc;
    this.#options = options;
    this.#awaitingOffer = options.awaitOffer ?? false;
    pc.addEventListener('negotiationneeded', this.#onNegotiationNeeded);
    pc.addEventListener('icecandidate', this.#onIceCandidate);
  }

  get polite(): boolean {
    return this.#options.polite;
  }

  readonly #onNegotiationNeeded = async (): Promise<void> => {
    // Whatever we changed meanwhile goes into our answer; anything left over, the browser
    // asks for again once that negotiation is over.
    if (this.#awaitingOffer) return;
    await this.#makeOffer();
  };

  async #makeOffer(): Promise<void> {
    try {
      this.#makingOffer = true;
      await this.#pc.setLocalDescription();
      if (this.#closed) return;
      const description = this.#pc.localDescription;
      if (description) this.#options.send({ kind: 'description', description: { type: description.type, sdp: description.sdp } });
    } catch (error) {
      if (!this.#closed) this.#options.onError(error);
    } finally {
      this.#makingOffer = false;
    }
  }

  readonly #onIceCandidate = ({ candidate }: RTCPeerConnectionIceEvent): void => {
    if (this.#closed) return;
    this.#options.send({ kind: 'candidate', candidate: candidate ? candidate.toJSON() as { candidate: string } : null });
  };

  /** Applies one message from the other side. */
  async handle(data: SignalData): Promise<void> {
    const pc = this.#pc;
    try {
      if (data.kind === 'description') {
        const description = data.description;
        const readyForOffer =
          !this.#makingOffer && (pc.signalingState === 'stable' || this.#isSettingRemoteAnswerPending);
        const offerCollision = description.type === 'offer' && !readyForOffer;
        if (offerCollision) this.collisions++;
        this.#ignoreOffer = !this.#options.polite && offerCollision;
        if (this.#ignoreOffer) return;
        this.#isSettingRemoteAnswerPending = description.type === 'answer';
        await pc.setRemoteDescription(description);
        this.#isSettingRemoteAnswerPending = false;
        if (description.type === 'offer') {
          this.#awaitingOffer = false;
          this.#options.beforeAnswer?.();
          await pc.setLocalDescription();
          const answer = pc.localDescription;
          if (answer && !this.#closed) this.#options.send({ kind: 'description', description: { type: answer.type, sdp: answer.sdp } });
        }
      } else if (data.candidate) {
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (error) {
          // Candidates for an offer we ignored are expected to fail.
          if (!this.#ignoreOffer) throw error;
        }
      }
    } catch (error) {
      if (!this.#closed) this.#options.onError(error);
    }
  }

  /**
   * Offers now, instead of when `negotiationneeded` comes: that event waits for a task of
   * its own, behind whatever the page renders meanwhile (the whole call interface, just
   * after joining), and a call's first offer is on the path to the first frame. Resolves
   * once the offer went out (or failed, which `onError` hears of).
   */
  offer(): Promise<void> {
    this.#awaitingOffer = false;
    return this.#makeOffer();
  }

  /** Starts an ICE restart; the offer goes out through `negotiationneeded`. */
  restartIce(): void {
    this.#pc.restartIce();
  }

  dispose(): void {
    this.#closed = true;
    this.#pc.removeEventListener('negotiationneeded', this.#onNegotiationNeeded);
    this.#pc.removeEventListener('icecandidate', this.#onIceCandidate);
  }
}
