/// <reference lib="dom" />
/**
 * What `subscription(name)` means (docs/protocol/websocket.md §9.4) and the server-side pipe list
 * that follows from the live subscriptions. Unlike the original, the list shrinks again: a pipe
 * leaves it when its last subscription is removed.
 */
import { CATCH_ALL_SIGNAL } from "./message_decoder.ts";
import { isValidName } from "./wire_commands.ts";

/** Where a subscription listens locally, and which server pipe (if any) it needs. */
export interface SubscriptionTarget {
  signal: string;
  /** null for names that live only in the client (`msg`, `#pipe`, catch-all). */
  pipe: string | null;
}

/** Why a name cannot be subscribed; `parseSubscriptionName` returns it instead of a target. */
export interface SubscriptionRefusal {
  refused: string;
}

/**
 * Maps a subscription name to its target (§9.4):
 * `""` → catch-all; `msg`, `msg.EV` → private messages; `#pipe` and `answer_to_pipe` → the
 * delivery reports of `pipe` (the original never matched the second form, we do); `pipe.EV` and
 * `pipe` → server pipe `pipe`.
 */
export function parseSubscriptionName(name: string): SubscriptionTarget | SubscriptionRefusal {
  if (name === "") return { signal: CATCH_ALL_SIGNAL, pipe: null };
  if (name.length < 2) return { refused: `name "${name}" is shorter than 2 characters` };
  if (name === "msg" || name.startsWith("msg.")) return { signal: name, pipe: null };
  if (name.startsWith("#")) return { signal: `_answer_to_${name.slice(1)}`, pipe: null };
  if (name.startsWith("answer_to_")) return { signal: `_${name}`, pipe: null };
  if (name.startsWith("_answer")) return { signal: name, pipe: null };
  const dot = name.indexOf(".");
  const pipe = dot === -1 ? name : name.slice(0, dot);
  const signal = dot === name.length - 1 ? pipe : name;
  if (pipe.length < 2) return { refused: `pipe name "${pipe}" is shorter than 2 characters` };
  // The server drops the connection for a name over 64 bytes, and the resubscription after each
  // reconnect would do it again (docs/protocol/websocket.md §3.1): refuse it here instead.
  if (pipe.length > 64) return { refused: `pipe name "${pipe}" is longer than 64 characters` };
  if (!isValidName(pipe)) {
    return { refused: `pipe name "${pipe}" may only contain the characters A-Za-z0-9_-` };
  }
  return { signal, pipe };
}

/** Subscription ids look like the original's: `<signal>&&<slot>` (§9.3). */
export function subscriptionId(signal: string, slot: string): string {
  return `${signal}&&${slot}`;
}

/** Splits an id made by `subscriptionId`; undefined for anything else. */
export function parseSubscriptionId(id: string): { signal: string; slot: string } | undefined {
  const at = typeof id === "string" ? id.lastIndexOf("&&") : -1;
  if (at <= 0) return undefined;
  return { signal: id.slice(0, at), slot: id.slice(at + 2) };
}

/**
 * The live subscriptions of one client instance and the pipe list they need, in order of first
 * use (the server keeps at most 32 pipes per connection, docs/protocol/websocket.md §8, so the
 * oldest come first).
 */
export class SubscriptionList {
  /** id → server pipe (null for local-only names). */
  private readonly byId = new Map<string, string | null>();
  /** pipe → number of live subscriptions that need it. */
  private readonly uses = new Map<string, number>();

  /** Records a subscription; true when its pipe is new to the list. */
  add(id: string, pipe: string | null): boolean {
    this.byId.set(id, pipe);
    if (pipe === null) return false;
    const n = this.uses.get(pipe) ?? 0;
    this.uses.set(pipe, n + 1);
    return n === 0;
  }

  /** Forgets a subscription; true when its pipe left the list. */
  remove(id: string): boolean {
    if (!this.byId.has(id)) return false;
    const pipe = this.byId.get(id) ?? null;
    this.byId.delete(id);
    if (pipe === null) return false;
    const n = (this.uses.get(pipe) ?? 1) - 1;
    if (n > 0) {
      this.uses.set(pipe, n);
      return false;
    }
    this.uses.delete(pipe);
    return true;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The server-side pipe list, each pipe once. */
  pipes(): string[] {
    return [...this.uses.keys()];
  }
}

/**
 * Union of several pipe lists, each pipe once, in order of first appearance: the leader tab sends
 * its own list first, then its followers' (docs/protocol/websocket.md §3.1: the server replaces the
 * set with each list).
 */
export function mergePipeLists(lists: Iterable<readonly string[]>): string[] {
  const all = new Set<string>();
  for (const list of lists) for (const pipe of list) all.add(pipe);
  return [...all];
}
