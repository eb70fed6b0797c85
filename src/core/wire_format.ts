/**
 * The wire formats a browser connection can ask for. In a module of its own because both the
 * subscriber (which has one) and the outbound message (which is built per format) need it.
 */
/**
 * How a connection wants message bodies encoded, chosen from the URL's `v=MAJOR.MINOR`
 * (docs/protocol/websocket.md §1.2, §4.1; docs/compatibility.md point 3).
 */
export const enum WireFormat {
  /** MAJOR < 4 (or not parsed yet): extra `event_name`/`api_data` keys, object data as text. */
  Legacy = 0,
  /**
   * 4.x, the original CometServerApi.js: `web_pipe2` bodies MySQL-escaped (E′,
   * docs/protocol/websocket.md §4.3).
   */
  Original = 1,
  /** MAJOR ≥ 5, our own client: bodies exactly as published, history flagged. */
  Clean = 2,
}

export function wireFormatOf(major: number): WireFormat {
  if (major < 4) return WireFormat.Legacy;
  if (major < 5) return WireFormat.Original;
  return WireFormat.Clean;
}
