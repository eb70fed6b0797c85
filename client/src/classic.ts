/// <reference lib="dom" />
/**
 * Classic-script entry (`/CometServerApi.js`): defines the globals of the original library
 * (docs/protocol/websocket.md §9.1), so pages written for it only change the script URL.
 */
import * as api from "./mod.ts";
import { CometApi } from "./comet_api.ts";
import { nodeFromScriptUrl } from "./socket_url.ts";

const currentScript = globalThis.document?.currentScript as HTMLScriptElement | null | undefined;
// Without a `node` option, connect to the server that served this script.
const servedFrom = nodeFromScriptUrl(currentScript?.src);
if (servedFrom) CometApi.defaultNodes = [servedFrom];

Object.assign(globalThis, {
  cometApi: api.cometApi,
  CometServer: api.CometServer,
  cometServerApi: api.cometServerApi,
  _cometServerApi: api._cometServerApi,
  tabSignal: api.tabSignal,
  comet_server_signal: api.comet_server_signal,
});
