/**
 * A server → browser message, shared by every subscriber of a fan-out (the hot path). The JSON
 * text is built on demand per wire format; the transport encodes it once per format and caches
 * the result in `wire`, so N subscribers cost one encoding, not N.
 */
import { WireFormat } from "./wire_format.ts";

/** Builds the JSON object for a format; keys must already be in ascending byte order. */
export type MessageBuilder = (format: WireFormat) => Record<string, unknown>;

export class Outbound {
  /** Transport-owned cache of the encoded frame per format (e.g. the WebSocket frame bytes). */
  readonly wire: (Uint8Array | undefined)[] = [undefined, undefined, undefined];
  /** Monotonic ms when the message entered the server, for publish→write latency. */
  readonly createdAt = performance.now();

  constructor(private build: MessageBuilder) {}

  /**
   * The JSON text for this format (docs/protocol/websocket.md §4.1, keys sorted, compact). Not
   * cached: the transport asks once per format and keeps the encoded bytes in `wire`.
   */
  text(format: WireFormat): string {
    return JSON.stringify(legacyWrap(this.build(format), format));
  }
}

/**
 * docs/protocol/websocket.md §4.1: for MAJOR < 4 every object also gets `api_data` and
 * `event_name`, and object data (except on pipe `msg`) becomes its JSON text. Keys stay in
 * ascending byte order.
 */
function legacyWrap(obj: Record<string, unknown>, format: WireFormat): Record<string, unknown> {
  if (format !== WireFormat.Legacy) return obj;
  const data = obj.data;
  const wrapped: Record<string, unknown> = {
    ...obj,
    api_data: "for major_version < 4",
    event_name: obj.event,
    data: typeof data === "string" || typeof data === "number" || obj.pipe === "msg"
      ? data
      : JSON.stringify(data),
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(wrapped).sort()) sorted[k] = wrapped[k];
  return sorted;
}
