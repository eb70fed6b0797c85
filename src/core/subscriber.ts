/**
 * A browser connection as the core sees it: who it is and how to reach it. The WebSocket
 * transport implements this; the core never sees sockets or frames.
 */
import type { Outbound } from "./outbound.ts";
import type { WireFormat } from "./wire_format.ts";

export interface Subscriber {
  /** Unique per process. */
  readonly id: number;
  readonly devId: number;
  /** 0 = anonymous (set to the real id only once authorized). */
  userId: number;
  /** Browser identity from the URL, at most 32 chars, may be "". */
  readonly uuid: string;
  readonly format: WireFormat;
  readonly userAgent: string;
  readonly ip: string;
  readonly origin: string;
  readonly language: string;
  /** Pipes this connection is subscribed to (maintained by PipeRegistry). */
  readonly pipes: Set<string>;
  /**
   * Writes the message (encoded once per format, shared by all subscribers). Returns false when
   * the connection is closed or was just dropped as a slow consumer.
   */
  send(message: Outbound): boolean;
  /**
   * `send` for a message that must not be lost (the offline queue, issue 13): resolves true once
   * its frame was handed to the kernel whole, false when the connection closed (or was dropped)
   * before that. Only then may the message leave storage.
   */
  sendConfirmed(message: Outbound): Promise<boolean>;
  /**
   * Bare TCP drop without a Close frame, so the original client reconnects
   * (docs/protocol/websocket.md §2.3).
   */
  drop(): void;
}
