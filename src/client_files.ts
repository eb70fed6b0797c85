/**
 * The built browser files (client/dist, made by `deno task build:client`): the client library,
 * served by the WebSocket port at `/CometServerApi.js`, `/comet_api.mjs`, `/comet_api.d.ts` and
 * the minified `/CometServerApi.min.js`, `/comet_api.min.mjs` with their `.map` source maps, and
 * the admin dashboard's script, served by the admin port at `/dashboard.js`. Files are read
 * once at start; `deno compile --include client/dist` embeds them in the binary.
 */
import { CLIENT_SCRIPTS } from "./ws/http_routes.ts";

const NAMES = [...Object.keys(CLIENT_SCRIPTS), "dashboard.js"];

export interface ClientFiles {
  clientScript(name: string): Uint8Array | undefined;
  /** The directory the files came from, or undefined when none was found. */
  readonly dir: string | undefined;
}

export function loadClientFiles(dirs = candidateDirs()): ClientFiles {
  for (const dir of dirs) {
    const files = new Map<string, Uint8Array>();
    for (const name of NAMES) {
      try {
        files.set(name, Deno.readFileSync(`${dir}/${name}`));
      } catch {
        // a missing file is simply not served; the directory is judged by the main script below
      }
    }
    if (files.has("CometServerApi.js")) {
      return { dir, clientScript: (name) => files.get(name) };
    }
  }
  return { dir: undefined, clientScript: () => undefined };
}

function candidateDirs(): string[] {
  const dirs: string[] = [];
  const fromEnv = Deno.env.get("COMET_CLIENT_DIR");
  if (fromEnv) dirs.push(fromEnv);
  const here = new URL(".", import.meta.url);
  if (here.protocol === "file:") {
    dirs.push(decodeURIComponent(new URL("../client/dist", here).pathname));
    dirs.push(decodeURIComponent(new URL("./client/dist", here).pathname));
  }
  dirs.push("./client/dist");
  return dirs;
}
