/**
 * The socket.io rooms the signal server uses. With a Redis adapter they span every process,
 * so a broadcast to one of them reaches its sockets wherever they are connected. The
 * prefixes keep them apart from each other and from socket ids, which are rooms too.
 */

/** The socket.io room holding the sockets of a call room's participants. */
export function roomChannel(room: string): string {
  return `room:${room}`;
}

/** The socket.io room holding the socket(s) of one participant. */
export function participantChannel(id: string): string {
  return `p:${id}`;
}
