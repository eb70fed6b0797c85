/**
 * Static files from `[main] base_dir` (docs/protocol/websocket.md §1.1), served only when it is
 * set, and only with an extension listed in `[content-type]`. Unlike the original, the path is
 * percent-decoded once (so `%20` works) and is refused when it could leave the base directory:
 * `..` anywhere (before or after decoding), backslashes, NUL, dot-files, and symlinks that resolve
 * outside the base directory.
 */
import { join, sep } from "node:path";

export interface StaticFile {
  /** Without charset (the response adds `; charset=UTF-8`). */
  contentType: string;
  /** Open for reading; the caller streams it (static_file_stream.ts) and closes it. */
  file: Deno.FsFile;
}

/** The checks that need no file system: undefined when the path must get a 404. */
export function staticFileRequest(
  path: string,
  contentTypes: Record<string, string>,
): { relative: string; contentType: string } | undefined {
  if (path.includes("..")) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes("..") || decoded.includes("\\") || decoded.includes("\0")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.length === 0 || segments.some((s) => s.startsWith("."))) return undefined;
  const last = segments[segments.length - 1];
  const dot = last.lastIndexOf(".");
  if (dot < 0) return undefined;
  const contentType = contentTypes[last.slice(dot + 1)];
  if (!contentType) return undefined;
  return { relative: segments.join("/"), contentType };
}

/** Opens the file for a request path, or undefined (→ 404). */
export async function openStaticFile(
  baseDir: string,
  path: string,
  contentTypes: Record<string, string>,
): Promise<StaticFile | undefined> {
  if (baseDir === "") return undefined;
  const request = staticFileRequest(path, contentTypes);
  if (!request) return undefined;
  try {
    const realBase = await Deno.realPath(baseDir);
    const real = await Deno.realPath(join(realBase, request.relative));
    if (!real.startsWith(realBase.endsWith(sep) ? realBase : realBase + sep)) return undefined;
    const info = await Deno.stat(real);
    if (!info.isFile) return undefined;
    return { contentType: request.contentType, file: await Deno.open(real, { read: true }) };
  } catch {
    return undefined; // missing or unreadable: a plain 404, as for any unknown path
  }
}
