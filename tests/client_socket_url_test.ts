/**
 * The WebSocket URL and node list of the browser client (docs/protocol/websocket.md §1.2, §1.6).
 */
import assert from "node:assert/strict";
import {
  buildSocketUrl,
  eventKey,
  nodeFromScriptUrl,
  nodesOf,
  numericParam,
  parseNode,
  useSecure,
} from "../client/src/socket_url.ts";

const uuid = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

Deno.test("URL: parameters in the path, in the order the server reads them, v=5.0", () => {
  const url = buildSocketUrl({
    node: parseNode("127.0.0.1:8087"),
    secure: false,
    userKey: "Tq9wZ3",
    userId: 42,
    devId: 0,
    uuid,
  });
  assert.equal(
    url,
    `ws://127.0.0.1:8087/ws/sesion=Tq9wZ3&myid=42&devid=0&v=5.0&uuid=${uuid}&api=js`,
  );
});

Deno.test("URL: a node with a prefix puts /ws/ after the prefix; wss when secure", () => {
  const url = buildSocketUrl({
    node: parseNode("chat.example.org/comet-server"),
    secure: true,
    userKey: undefined,
    userId: undefined,
    devId: "7",
    uuid,
  });
  assert.equal(
    url,
    `wss://chat.example.org/comet-server/ws/sesion=undefined&myid=0&devid=7&v=5.0&uuid=${uuid}&api=js`,
  );
});

Deno.test("URL: a JWT key is sent unencoded", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo1fQ.sig-_";
  const url = buildSocketUrl({
    node: parseNode("h"),
    secure: false,
    userKey: jwt,
    userId: 5,
    devId: 0,
    uuid,
  });
  assert.ok(url.includes(`/ws/sesion=${jwt}&myid=5&`));
});

Deno.test("numeric params: digits only, anything else becomes 0", () => {
  assert.equal(numericParam(42), "42");
  assert.equal(numericParam("15"), "15");
  assert.equal(numericParam(undefined), "0");
  assert.equal(numericParam("abc"), "0");
  assert.equal(numericParam(-3), "0");
  assert.equal(numericParam("1234567890"), "0"); // The server keeps ids to 9 digits.
});

Deno.test("nodes: node string, node array, nodes array, fallback; schemes are parsed", () => {
  assert.deepEqual(nodesOf({ node: "a:1" }, ["x"]).map((n) => n.address), ["a:1"]);
  assert.deepEqual(nodesOf({ node: ["a", "b/"] }, ["x"]).map((n) => n.address), ["a", "b"]);
  assert.deepEqual(nodesOf({ nodes: ["c", "d"] }, ["x"]).map((n) => n.address), ["c", "d"]);
  assert.deepEqual(nodesOf({}, ["ws://x:8087"]), [{ address: "x:8087", secure: false }]);
  assert.deepEqual(parseNode("wss://h/p"), { address: "h/p", secure: true });
  assert.deepEqual(parseNode("https://h"), { address: "h", secure: true });
  assert.deepEqual(parseNode("h:1"), { address: "h:1", secure: undefined });
});

Deno.test("wss: the option wins, then the node's scheme, then the page protocol", () => {
  const plain = parseNode("h");
  assert.equal(useSecure({ wss: true }, parseNode("ws://h"), "http:"), true);
  assert.equal(useSecure({ wss: false }, plain, "https:"), false);
  assert.equal(useSecure({}, parseNode("wss://h"), "http:"), true);
  assert.equal(useSecure({}, plain, "https:"), true);
  assert.equal(useSecure({}, plain, "http:"), false);
  assert.equal(useSecure({}, plain, undefined), false);
});

Deno.test("event key: nodes joined by _, then dev_id and user_id", () => {
  assert.equal(eventKey([parseNode("a:1"), parseNode("b")], 0, 42), "a:1_b_0_42");
  assert.equal(eventKey([parseNode("a")], undefined, undefined), "a_0_0");
});

Deno.test("default node: where the script was served from", () => {
  assert.equal(nodeFromScriptUrl("http://127.0.0.1:8087/CometServerApi.js"), "ws://127.0.0.1:8087");
  assert.equal(
    nodeFromScriptUrl("https://site.example/comet-server/CometServerApi.js"),
    "wss://site.example/comet-server",
  );
  assert.equal(nodeFromScriptUrl(undefined), undefined);
  assert.equal(nodeFromScriptUrl("file:///x/CometServerApi.js"), undefined);
  assert.equal(nodeFromScriptUrl("not a url"), undefined);
});
