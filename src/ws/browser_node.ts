/**
 * The part of the core (`CometNode`) that the browser port calls. Naming it keeps the
 * dependency visible (no storage, no cluster engines) and lets tests pass a small fake.
 */
import type { CometNode } from "../core/comet_node.ts";

export type BrowserNode = Pick<
  CometNode,
  | "config"
  | "stats"
  | "log"
  | "attach"
  | "detach"
  | "setSubscriptions"
  | "resumeSubscriptions"
  | "publishFromBrowser"
  | "readHistory"
  | "countSubscribersEverywhere"
  | "subscribersEverywhere"
  | "userData"
  | "lastOnline"
  | "verifyJwt"
>;
