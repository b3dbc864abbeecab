/**
 * The send budget of a full mesh: every participant encodes its camera once per remote
 * peer (one encoder per RTCPeerConnection), so with N people each device runs N-1 camera
 * encoders and N-1 decoders, and the cost grows with the square of the call. From 4
 * participants on that no longer fits a small machine: measured with
 * `node --import tsx bench/mesh.ts` (2 cores, fake 640x480 camera at 20 frames/s), a bare
 * 4-person mesh received 8-12 frames/s and a bare 6-person mesh 2-3 frames/s; the same
 * meshes with the settings below received 17-20 and 11-19 frames/s (the machine was shared
 * and busy, load average 20-50, so the spread is mostly other work).
 *
 * Only the camera is lowered. The screen share keeps its own sender untouched: people read
 * it, so it needs its detail, and it is one stream, not one per participant.
 */

/** What we ask of the camera sender's (only) encoding. `null`: the browser's own default. */
export interface CameraEncoding {
  /** 1 sends what the camera captures; 2 halves width and height. */
  readonly scaleResolutionDownBy: number;
  /** Bits per second, or `null` for no cap beyond the browser's congestion control. */
  readonly maxBitrate: number | null;
  /** Frames per second, or `null` for the capture rate. */
  readonly maxFramerate: number | null;
}

/** Full quality: what a sender does untouched. */
export const FULL_CAMERA: CameraEncoding = Object.freeze({ scaleResolutionDownBy: 1, maxBitrate: null, maxFramerate: null });

/**
 * 4 or 5 people: half width and height (a 640x480 camera goes out at 320x240, a 1280x720
 * one at 640x360: a quarter of the pixels to encode and decode) and at most 250 kbit/s per
 * stream, plenty for a tile of a quarter of the screen. The frame rate is not capped:
 * motion matters more than detail in a tile, and pixels, not frames, were what the CPU
 * could not keep up with (the encoders never reported a CPU limit; decoding and
 * compositing five streams per page were what fell behind).
 */
export const MESH_CAMERA: CameraEncoding = Object.freeze({ scaleResolutionDownBy: 2, maxBitrate: 250_000, maxFramerate: null });

/**
 * 6 people or more: a quarter of the width and height (160x120 from a 640x480 camera,
 * 320x180 from a 1280x720 one) and 150 kbit/s. Measured on a bare 6-person mesh, 2 busy
 * cores: /2 gave 12-15 frames/s, /3 13-17, /4 18-20; only /4 stayed above 15 with margin.
 */
export const LARGE_MESH_CAMERA: CameraEncoding = Object.freeze({ scaleResolutionDownBy: 4, maxBitrate: 150_000, maxFramerate: null });

/** From this many participants (us included) the camera is lowered to `MESH_CAMERA`. */
export const LOWER_CAMERA_FROM = 4;

/**
 * How to send our camera in a call of `participants` people, us included: full quality
 * below `lowerFrom` (default 4), `MESH_CAMERA` for the next two sizes (4 and 5), and
 * `LARGE_MESH_CAMERA` from `lowerFrom + 2` (6) on. Returns one of the shared constants, so
 * callers can compare results with `===`.
 */
export function cameraEncodingFor(participants: number, lowerFrom = LOWER_CAMERA_FROM): CameraEncoding {
  if (participants < lowerFrom) return FULL_CAMERA;
  return participants < lowerFrom + 2 ? MESH_CAMERA : LARGE_MESH_CAMERA;
}

/** True when the sender's encoding already is `wanted` (absent fields count as the default). */
export function encodingMatches(encoding: RTCRtpEncodingParameters, wanted: CameraEncoding): boolean {
  return (
    (encoding.scaleResolutionDownBy ?? 1) === wanted.scaleResolutionDownBy &&
    (encoding.maxBitrate ?? null) === wanted.maxBitrate &&
    (encoding.maxFramerate ?? null) === wanted.maxFramerate
  );
}

/**
 * Sets `wanted` on the sender's first encoding, leaving every other field as the browser
 * has it. Resolves true once the sender has it (or already had it), false when it cannot
 * be set yet: no encodings before the first negotiation, or `setParameters` rejected
 * (negotiation in flight changed the parameters under us, the connection closed). The
 * caller tries again later; nothing here throws.
 */
export async function applyCameraEncoding(sender: RTCRtpSender, wanted: CameraEncoding): Promise<boolean> {
  let parameters: RTCRtpSendParameters;
  try {
    // getParameters() and setParameters() must run in the same task: the transaction id
    // that getParameters() hands out expires at the next one.
    parameters = sender.getParameters();
  } catch {
    return false;
  }
  const encoding = parameters.encodings?.[0];
  if (!encoding) return false;
  if (encodingMatches(encoding, wanted)) return true;
  encoding.scaleResolutionDownBy = wanted.scaleResolutionDownBy;
  // Deleting a cap lifts it; setting it to undefined is not accepted by every browser.
  if (wanted.maxBitrate === null) delete encoding.maxBitrate;
  else encoding.maxBitrate = wanted.maxBitrate;
  if (wanted.maxFramerate === null) delete encoding.maxFramerate;
  else encoding.maxFramerate = wanted.maxFramerate;
  try {
    await sender.setParameters(parameters);
    return true;
  } catch {
    return false;
  }
}

/**
 * Keeps one sender at the wanted encoding: `set()` changes the wish, `apply()` (also called
 * after each negotiation) brings the sender to it. One `setParameters` at a time, so an
 * older wish never lands after a newer one.
 */
export class CameraSendBudget {
  #wanted: CameraEncoding;
  /** The `setParameters` loop in flight, if any. */
  #running: Promise<boolean> | null = null;
  #again = false;

  /** `sender()` finds the camera sender; it may not exist yet (answering side before the offer). */
  constructor(
    readonly sender: () => RTCRtpSender | undefined,
    wanted: CameraEncoding = FULL_CAMERA,
  ) {
    this.#wanted = wanted;
  }

  get wanted(): CameraEncoding {
    return this.#wanted;
  }

  set(wanted: CameraEncoding): Promise<boolean> {
    this.#wanted = wanted;
    return this.apply();
  }

  /** Resolves true when the sender has the wanted encoding now; false means "try again later". */
  apply(): Promise<boolean> {
    if (this.#running) {
      // The loop in flight picks up the newest wish before it settles.
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #loop(): Promise<boolean> {
    let done = false;
    do {
      this.#again = false;
      const sender = this.sender();
      done = sender ? await applyCameraEncoding(sender, this.#wanted) : false;
    } while (this.#again);
    return done;
  }
}
