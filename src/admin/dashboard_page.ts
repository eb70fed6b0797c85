/**
 * The dashboard's HTML (`GET /` on the admin port). The page holds no data: its script
 * (client/dist/dashboard.js, served at `/dashboard.js`, uPlot bundled in, no CDN) asks for the key
 * and reads `/api/dashboard`. The page itself is public; every figure needs the key.
 */

export const DASHBOARD_SCRIPT = "dashboard.js";

/** Only our own script and fetches; inline styles for the page and uPlot's injected sheet. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const card = (id: string, label: string) =>
  `<div class="card"><div class="label">${label}</div><div class="value" id="${id}">–</div></div>`;

const table = (id: string, title: string, headers: string[]) =>
  `<section><h2>${title}</h2><table><thead><tr>${
    headers.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody id="${id}"></tbody></table></section>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Comet server dashboard</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1f2937; background: #f3f4f6; }
  body { margin: 0; }
  header { display: flex; gap: 1.5rem; align-items: baseline; padding: .8rem 1.5rem;
    background: #111827; color: #f9fafb; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header .spacer { flex: 1; }
  header button { background: none; border: 1px solid #6b7280; color: #f9fafb; border-radius: 4px;
    padding: .2rem .7rem; cursor: pointer; }
  main { padding: 1rem 1.5rem; display: grid; gap: 1rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: .7rem; }
  .card, section { background: #fff; border-radius: 6px; padding: .7rem 1rem;
    box-shadow: 0 1px 2px #0002; }
  .label { font-size: .75rem; color: #6b7280; text-transform: uppercase; letter-spacing: .03em; }
  .value { font-size: 1.5rem; font-variant-numeric: tabular-nums; margin-top: .2rem; }
  h2 { font-size: .9rem; margin: 0 0 .5rem; color: #374151; }
  .tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 1rem; }
  table { width: 100%; border-collapse: collapse; font-size: .9rem; }
  th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #e5e7eb; }
  td:not(:first-child), th:not(:first-child) { text-align: right;
    font-variant-numeric: tabular-nums; }
  td.empty { color: #9ca3af; text-align: left; }
  td:first-child { white-space: nowrap; }
  #storageDriver { overflow-wrap: anywhere; }
  .ok { color: #16a34a; } .bad { color: #dc2626; }
  #login { max-width: 360px; margin: 10vh auto; background: #fff; padding: 1.5rem;
    border-radius: 6px; box-shadow: 0 1px 3px #0003; }
  #login input { width: 100%; box-sizing: border-box; padding: .5rem; margin: .5rem 0; }
  #login button { padding: .4rem 1rem; }
  #loginError { color: #dc2626; min-height: 1.2em; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<div id="login" hidden>
  <h1>Comet server dashboard</h1>
  <form id="loginForm">
    <label for="key">API key ([admin] api_key, or [main] password)</label>
    <input id="key" name="key" type="password" autocomplete="current-password" required>
    <div id="loginError"></div>
    <button type="submit">Open</button>
  </form>
  <p><small>The key is kept in this tab only (sessionStorage).</small></p>
</div>
<div id="board" hidden>
  <header>
    <h1>Comet node <span id="node">–</span></h1>
    <span>up <span id="uptime">–</span></span>
    <span id="status">connecting…</span>
    <span class="spacer"></span>
    <button id="logout" type="button">Log out</button>
  </header>
  <main>
    <div class="cards">
      ${card("connections", "Browser connections")}
      ${card("authorized", "Authorized connections")}
      ${card("users", "Users online")}
      ${card("cometqlConnections", "CometQL connections")}
      ${card("pipes", "Pipes")}
      ${card("subscriptions", "Subscriptions")}
      ${card("inRate", "Messages in /s")}
      ${card("outRate", "Messages out /s")}
      ${card("messagesIn", "Messages in (total)")}
      ${card("messagesOut", "Messages out (total)")}
      ${card("slowConsumerDrops", "Slow-consumer drops")}
    </div>
    <section><h2>Messages per second (last 5 minutes)</h2><div id="chart"></div></section>
    <div class="tables">
      ${table("topBySubscribers", "Busiest pipes by subscribers", ["pipe", "subscribers"])}
      ${table("topByMessages", "Busiest pipes by messages (last 10 s)", ["pipe", "msg/s"])}
      <section><h2>Storage</h2><table><tbody>
        <tr><td>driver</td><td id="storageDriver">–</td></tr>
        <tr><td>state</td><td id="storageUp">–</td></tr>
        <tr><td>pending history writes</td><td id="pendingHistoryWrites">–</td></tr>
        <tr><td>failed operations</td><td id="storageErrors">–</td></tr>
      </tbody></table></section>
      ${
  table("nodes", "Cluster nodes", [
    "node",
    "connections",
    "authorized",
    "users",
    "uptime",
    "last heartbeat",
  ])
}
    </div>
  </main>
</div>
<script src="/${DASHBOARD_SCRIPT}"></script>
</body>
</html>
`;
