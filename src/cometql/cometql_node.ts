/**
 * The part of the core (`CometNode`) that CometQL calls. Naming it keeps the dependency visible
 * and lets unit tests pass a small fake instead of a whole node.
 */
import type { CometNode } from "../core/comet_node.ts";

export type CometqlNode = Pick<
  CometNode,
  | "config"
  | "stats"
  | "log"
  | "publish"
  | "publishStored"
  | "sendPrivate"
  | "countSubscribersEverywhere"
  | "authorizedConnectionsEverywhere"
  | "cometqlConnectionsEverywhere"
  | "subscribersEverywhere"
  | "readHistory"
  | "deleteHistory"
  | "deleteHistoryMessage"
  | "pipeLength"
  | "setPipeLength"
  | "deletePipeSettings"
  | "getAuthHash"
  | "setAuthHash"
  | "deleteAuthHash"
  | "revokeToken"
  | "lastOnline"
  | "storedUserData"
  | "setUserData"
  | "deleteUserData"
  | "readQueue"
  | "clearQueue"
  | "listRevokedTokens"
  | "isTokenRevoked"
  | "unrevokeToken"
>;
