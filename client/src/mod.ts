/// <reference lib="dom" />
/**
 * ES module entry (`/comet_api.mjs`): the same API as the classic script, as named exports.
 *
 * ```js
 * import { cometApi } from "http://comet.example.org:8087/comet_api.mjs";
 * cometApi.start({ dev_id: 0 });
 * cometApi.subscription("simplechat.newMessage", (e) => console.log(e.data));
 * ```
 */
import type { CometServerApi, CometServerApiConstructor, TabSignal } from "./public_types.ts";
import { CometApi } from "./comet_api.ts";
import { SignalBus } from "./signal_bus.ts";
import { nodeFromScriptUrl } from "./socket_url.ts";

export type * from "./public_types.ts";

// Without a `node` option, connect to the server this module was loaded from.
const servedFrom = nodeFromScriptUrl(import.meta.url);
if (servedFrom) CometApi.defaultNodes = [servedFrom];

/** Constructor of independent instances (`new cometServerApi()`). */
export const cometServerApi: CometServerApiConstructor = CometApi;
/** Older name of `cometServerApi`. */
export const _cometServerApi: CometServerApiConstructor = CometApi;
/** The instance pages normally use. */
export const cometApi: CometServerApi = new cometServerApi();
/** Returns `cometApi`. */
export function CometServer(): CometServerApi {
  return cometApi;
}
/** Pub/sub helper shared by this page, with `emitAll` reaching the browser's other tabs. */
export const tabSignal: TabSignal = new SignalBus(true);
/** Returns `tabSignal`. */
export function comet_server_signal(): TabSignal {
  return tabSignal;
}
export default cometApi;
