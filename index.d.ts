// rsnet is a drop-in replacement for Node's net module: its API is net's, so its types
// are @types/node's declarations of 'node:net', re-exported. Code typed against net
// compiles unchanged against rsnet, and an rsnet Socket is a net.Socket and a Duplex.
// Beyond net, three functions give TCP controls Node does not (README, "TCP controls").
/// <reference types="node" />
import type { Socket } from 'node:net';

export * from 'node:net';

/** The kernel's TCP_INFO for a connection. Times in microseconds, cwnd and ssthresh in segments. */
export interface TcpInfo {
  /** 'ESTABLISHED', 'CLOSE_WAIT', ... as the kernel names the state. */
  state: string;
  rtt: number;
  rttVar: number;
  rto: number;
  cwnd: number;
  ssthresh: number;
  pmtu: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  /** Retransmissions of the current timeout episode. */
  retransmits: number;
  totalRetransmits: number;
  lost: number;
  // The rest only where the kernel reports them (Linux 4.x and later).
  bytesAcked?: number;
  bytesReceived?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  notSentBytes?: number;
  minRtt?: number;
  /** Bytes per second. */
  deliveryRate?: number;
  busyTime?: number;
  rwndLimited?: number;
  sndbufLimited?: number;
}

/** TCP options as setTcpOptions() takes them and getTcpOptions() reads them back. */
export interface TcpOptions {
  /** TCP_USER_TIMEOUT, ms: how long sent data may stay unacknowledged; 0 is the kernel's default. */
  userTimeout?: number;
  keepAlive?: boolean;
  /** Idle time before the first keep-alive probe, ms (a multiple of 1000). */
  keepAliveIdle?: number;
  /** Between probes, ms (a multiple of 1000). */
  keepAliveInterval?: number;
  /** Unanswered probes before the connection is dropped. */
  keepAliveCount?: number;
  noDelay?: boolean;
  quickAck?: boolean;
  /** Congestion control algorithm, e.g. 'cubic', 'bbr', 'reno'. */
  congestion?: string;
  /** TCP_NOTSENT_LOWAT, bytes; 0 is the system's default. */
  notSentLowat?: number;
  /** SO_LINGER, ms (a multiple of 1000); 0 resets the connection on close; null is off. */
  linger?: number | null;
}

/** Throws a Node-shaped error for a socket that is not a connected TCP socket. */
export function tcpInfo(socket: Socket): TcpInfo;
export function getTcpOptions(socket: Socket): Required<TcpOptions>;
/** Checks every option first: a bad one throws and nothing is set. */
export function setTcpOptions(socket: Socket, options: TcpOptions): void;
