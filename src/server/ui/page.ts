// The web view's HTML and CSS, embedded as strings so they ship inside `dist/` (tsc copies no .html) and the page
// needs nothing but the admin server: no CDN, no external fetch (the Content-Security-Policy forbids both).

/** The Content-Security-Policy every web view asset is served with: this origin only, no inline script. */
export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** `/ui`: the page skeleton; `/ui/app.js` fills it from the JSON pages and keeps it live. */
export const UI_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>biplane — dual-stack mesh</title>
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<header>
  <h1>biplane <small>dual-stack mesh</small></h1>
  <span id="live" class="live" data-state="connecting">connecting…</span>
</header>
<section id="summary" class="counts" aria-label="counts">
  <div><b id="count-services">–</b><span>services</span></div>
  <div><b id="count-vips-ipv4">–</b><span>IPv4 VIPs</span></div>
  <div><b id="count-vips-ipv6">–</b><span>IPv6 VIPs</span></div>
  <div><b id="count-pods">–</b><span>pods</span></div>
  <div><b id="count-pods-dual">–</b><span>dual-stack pods</span></div>
  <div><b id="count-proxies">–</b><span>connected proxies</span></div>
  <div><b id="count-synced">–</b><span>fully synced</span></div>
  <div><b id="count-reached-ipv4">–</b><span>IPv4 calls reach</span></div>
  <div><b id="count-reached-ipv6">–</b><span>IPv6 calls reach</span></div>
</section>
<main>
<section>
  <h2>Services</h2>
  <table id="services"><thead><tr><th>service</th><th>kind</th><th>policy</th><th>families</th><th>IPv4 VIPs</th><th>IPv6 VIPs</th><th>ports</th><th>backends</th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2>Pods</h2>
  <table id="pods"><thead><tr><th>pod</th><th>IP mode</th><th>IPs (podIPs order)</th><th>proxy</th></tr></thead><tbody></tbody></table>
</section>
<section>
  <h2>Proxies <small>sync state, live</small></h2>
  <table id="proxies"><thead><tr><th>node id</th><th>IP mode</th><th>IPs</th><th>state per xDS type</th><th>NACKs</th></tr></thead><tbody></tbody></table>
  <p id="proxies-empty" class="hint">No proxy is connected. Point an Envoy or a proxyless gRPC app at the xDS address.</p>
</section>
<section>
  <h2>Reachability <small>which proxy reaches which service over which family</small></h2>
  <p class="hint">Each pod's proxy calls each service's first port once over IPv4 and once over IPv6, through its own
  configuration. <span class="badge reached">4</span> reached, <span class="badge passthrough">4</span> passed through
  unmeshed, <span class="badge failed">4</span> failed, <span class="badge none">4</span> the proxy or the service has
  no address of that family. Click a cell to draw its path below.</p>
  <div class="scroll"><table id="reachability"><thead></thead><tbody></tbody></table></div>
  <p id="reach-omitted" class="hint"></p>
</section>
<section>
  <h2>Request path</h2>
  <form id="path-form">
    <label>proxy <select id="path-proxy"></select></label>
    <label>service <select id="path-service"></select></label>
  </form>
  <div id="path"></div>
</section>
</main>
</body>
</html>
`;

/** `/ui/app.css`. */
export const UI_CSS = `:root { --ok: #1f7a3a; --warn: #a86b00; --bad: #b3261e; --mute: #8a8f98; --line: #d9dce1; --v4: #2458b3; --v6: #7a3db8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { display: flex; align-items: center; justify-content: space-between; padding: 12px 24px; background: #1d2330; color: #fff; }
h1 { margin: 0; font-size: 20px; } h1 small { font-weight: normal; opacity: .7; }
h2 { font-size: 16px; margin: 24px 0 8px; } h2 small { font-weight: normal; color: var(--mute); }
main { padding: 0 24px 24px; }
.live { padding: 2px 10px; border-radius: 12px; background: #555; font-size: 12px; }
.live[data-state="live"] { background: var(--ok); } .live[data-state="reconnecting"] { background: var(--bad); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; padding: 16px 24px 0; }
.counts div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.counts b { display: block; font-size: 22px; } .counts span { color: var(--mute); font-size: 12px; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f3; font-weight: 600; font-size: 12px; }
td.addr, .addr { font-family: ui-monospace, monospace; font-size: 12px; }
.fam-IPv4 { color: var(--v4); } .fam-IPv6 { color: var(--v6); }
.hint { color: var(--mute); font-size: 12px; max-width: 80em; }
.scroll { overflow-x: auto; }
#reachability th.svc { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: normal; }
#reachability td.cell { cursor: pointer; white-space: nowrap; }
.badge { display: inline-block; min-width: 18px; padding: 0 4px; margin: 1px; border-radius: 3px; text-align: center; color: #fff; font-size: 11px; font-weight: 600; }
.badge.reached { background: var(--ok); } .badge.passthrough { background: var(--warn); } .badge.failed { background: var(--bad); }
.badge.none, .badge.NOT_SENT { background: #c3c7ce; } .badge.SYNCED { background: var(--ok); } .badge.STALE { background: var(--warn); } .badge.NACKED { background: var(--bad); }
form label { margin-right: 16px; }
.lane { display: flex; align-items: stretch; flex-wrap: wrap; gap: 4px; margin: 10px 0; }
.lane h3 { width: 100%; margin: 0; font-size: 13px; }
.step { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 4px; padding: 6px 10px; max-width: 320px; }
.step span { display: block; font-size: 11px; color: var(--mute); text-transform: uppercase; }
.step b { font-family: ui-monospace, monospace; font-weight: normal; font-size: 12px; word-break: break-all; }
.arrow { align-self: center; color: var(--mute); }
.step.error { border-left-color: var(--bad); } .step.error b { color: var(--bad); font-family: inherit; }
`;
