/**
 * client/build.ts produces what the server serves: the classic script, the ES module and a
 * self-contained declaration file that TypeScript users can compile against.
 */
import assert from "node:assert/strict";

const dist = new URL("../client/dist/", import.meta.url);

async function run(args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd }).output();
  const text = new TextDecoder();
  return { code, output: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("build: dist has the three files, kept out of git", async () => {
  const build = await run(["run", "-A", new URL("../client/build.ts", import.meta.url).pathname]);
  assert.equal(build.code, 0, build.output);
  for (const name of ["CometServerApi.js", "comet_api.mjs", "comet_api.d.ts"]) {
    assert.ok((await Deno.stat(new URL(name, dist))).size > 1000, name);
  }
  assert.match(await Deno.readTextFile(new URL(".gitignore", dist)), /^\*$/m);
  const classic = await Deno.readTextFile(new URL("CometServerApi.js", dist));
  assert.ok(classic.startsWith("(() => {"), "an IIFE: no module syntax in the classic script");
  assert.ok(!/^\s*(import|export)\s/m.test(classic));
});

Deno.test("build: the ES module exports the API and the declarations type-check a user", async () => {
  const mod = await import(new URL("comet_api.mjs", dist).href);
  assert.equal(typeof mod.cometApi.start, "function");
  assert.equal(mod.CometServer(), mod.cometApi);
  assert.equal(mod.default, mod.cometApi);
  assert.equal(typeof mod.tabSignal.emitAll, "function");
  assert.notEqual(new mod.cometServerApi(), mod.cometApi);

  const dir = await Deno.makeTempDir({ prefix: "comet_dts_" });
  try {
    const user = `// @ts-types="${new URL("comet_api.d.ts", dist).href}"
import { cometApi, type CometEvent, type UserCountData } from "${
      new URL("comet_api.mjs", dist).href
    }";
cometApi.start({ node: "127.0.0.1:8087", dev_id: 0 });
const id: string | false = cometApi.subscription("simplechat.newMessage", (e: CometEvent) => {
  const text: string = e.data.text;
  const pipe: string | undefined = e.server_info.pipe;
  console.log(text, pipe, e.server_info.history);
});
cometApi.count_users_in_pipe("web_room", (e: CometEvent<UserCountData>) => {
  const n: number = e.data.user_in_pipe + e.data[1];
  console.log(n);
});
cometApi.web_pipe_send("web_room.say", { text: "hi" });
console.log(id);
`;
    await Deno.writeTextFile(`${dir}/user.ts`, user);
    const check = await run(["check", "--no-config", "user.ts"], dir);
    assert.equal(check.code, 0, check.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("build: minified script and module with source maps, served by the server", async () => {
  for (
    const [name, full] of [
      ["CometServerApi.min.js", "CometServerApi.js"],
      ["comet_api.min.mjs", "comet_api.mjs"],
    ]
  ) {
    const text = await Deno.readTextFile(new URL(name, dist));
    assert.ok(
      text.length < (await Deno.stat(new URL(full, dist))).size * 0.6,
      `${name} is smaller`,
    );
    assert.ok(text.trimEnd().endsWith(`//# sourceMappingURL=${name}.map`), name);
    const map = JSON.parse(await Deno.readTextFile(new URL(`${name}.map`, dist)));
    assert.equal(map.version, 3);
    assert.ok(map.sources.includes("src/comet_api.ts"), map.sources.join());
    assert.ok(map.sources.every((s: string) => !s.startsWith("/") && !s.includes("..")));
    assert.equal(map.sourcesContent.length, map.sources.length);
  }
  const mod = await import(new URL("comet_api.min.mjs", dist).href);
  assert.equal(typeof mod.cometApi.onRecovery, "function");
  assert.equal(mod.CometServer(), mod.cometApi);

  const { withTestServer } = await import("./helpers/server.ts");
  await withTestServer(async (t) => {
    for (const name of ["CometServerApi.min.js", "comet_api.min.mjs.map"]) {
      const res = await fetch(`http://127.0.0.1:${t.wsPort}/${name}`);
      assert.equal(res.status, 200, name);
      assert.deepEqual(
        new Uint8Array(await res.arrayBuffer()),
        await Deno.readFile(new URL(name, dist)),
      );
    }
  });
});
