/**
 * Values the browser client derives from its options, and the argument forms of web_pipe_send
 * (docs/protocol/websocket.md §1.6, §3.2, §9.2, §9.3).
 */
import assert from "node:assert/strict";
import {
  groupNameFor,
  mergeOptions,
  realUserKeyStateName,
  roundRobinNode,
  socketUrlsFor,
} from "../client/src/client_settings.ts";
import { parseWebPipeArguments } from "../client/src/web_pipe_message.ts";

const uuid = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

Deno.test("options: merged; a new node replaces an older nodes list", () => {
  assert.deepEqual(mergeOptions({ dev_id: 0, nodes: ["a"] }, { node: "b", user_id: 3 }), {
    dev_id: 0,
    node: "b",
    user_id: 3,
  });
  assert.deepEqual(mergeOptions({ node: "a" }, { user_key: "k" }), { node: "a", user_key: "k" });
});

Deno.test("group name: nodes, dev_id and user_id decide which tabs may share a socket", () => {
  assert.equal(
    groupNameFor({ node: "h:8087", dev_id: 0, user_id: 42 }, []),
    "comet_api_h:8087_0_42",
  );
  assert.equal(groupNameFor({ dev_id: 0 }, ["ws://d:1"]), "comet_api_d:1_0_0");
  assert.equal(realUserKeyStateName({ node: ["a", "b"], dev_id: 2 }, []), "a_b_2_0real_user_key");
});

Deno.test("roundrobin: user_id % count; anonymous users get a random node", () => {
  assert.equal(roundRobinNode({ roundrobin: true, user_id: 5 }, 3), 2);
  assert.equal(roundRobinNode({ roundrobin: true, user_id: 6 }, 3, () => 0.99), 2);
  assert.equal(roundRobinNode({ roundrobin: true }, 3, () => 0.5), 1);
  assert.equal(roundRobinNode({ roundrobin: false, user_id: 5 }, 3), undefined);
  assert.equal(roundRobinNode({ roundrobin: true, user_id: 5 }, 1), undefined);
});

Deno.test("socket URLs: one per node, each with its own scheme", () => {
  assert.deepEqual(
    socketUrlsFor({ node: ["wss://a", "b:1"], user_id: 1, user_key: "k" }, [], "http:", uuid),
    [
      `wss://a/ws/sesion=k&myid=1&devid=0&v=5.0&uuid=${uuid}&api=js`,
      `ws://b:1/ws/sesion=k&myid=1&devid=0&v=5.0&uuid=${uuid}&api=js`,
    ],
  );
});

Deno.test("web_pipe_send arguments: the three forms and the anonymous pipe", () => {
  assert.deepEqual(parseWebPipeArguments(["web_r", "say", { t: 1 }]), {
    pipe: "web_r",
    target: "web_r",
    anonymous: false,
    event: "say",
    body: '{"t":1}',
  });
  assert.deepEqual(parseWebPipeArguments(["web_r.say", "hi"]), {
    pipe: "web_r",
    target: "web_r",
    anonymous: false,
    event: "say",
    body: '"hi"',
  });
  assert.deepEqual(parseWebPipeArguments(["web_r", 1]), {
    pipe: "web_r",
    target: "web_r",
    anonymous: false,
    event: "undefined",
    body: "1",
  });
  assert.deepEqual(parseWebPipeArguments(["@web_r.say", undefined]), {
    pipe: "@web_r",
    target: "web_r",
    anonymous: true,
    event: "say",
    body: "null",
  });
  assert.ok("refused" in parseWebPipeArguments(["news", "e", 1]));
  assert.ok("refused" in parseWebPipeArguments(["@webauth_r", "e", 1]));
  assert.ok("refused" in parseWebPipeArguments(["web_r", "bad.event", 1]));
  assert.ok("refused" in parseWebPipeArguments([undefined, "e", 1]));
});
