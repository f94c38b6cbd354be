// `/ui/app.js`: the web view's browser code, plain ES2020 with no library. It reads /debug/mesh, /debug/syncz,
// /debug/reachability and /debug/request-path, writes the page with textContent only (names from manifests are never
// parsed as HTML), and listens on /ui/events: the server names what changed and the page fetches just that.

/** The browser script; kept free of template literals so it can live in this string as written. */
export const UI_SCRIPT = String.raw`
const FAMILIES = ['IPv4', 'IPv6'];
const TYPES = ['cds', 'eds', 'lds', 'rds'];
const state = { mesh: null, syncz: null, reach: null, choice: { proxy: '', service: '' } };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  return res.json();
}

function setCount(id, value) {
  document.getElementById(id).textContent = String(value);
}

function fill(tableId, rows) {
  document.querySelector('#' + tableId + ' tbody').replaceChildren(...rows);
}

function addresses(list, cls) {
  return el('td', { class: 'addr ' + (cls || '') }, list.join(', ') || '–');
}

function vipsOf(service, family) {
  return service.vips.filter((v) => v.family === family).map((v) => v.ip);
}

function renderMesh(mesh) {
  setCount('count-services', mesh.services.length);
  for (const f of FAMILIES) setCount('count-vips-' + f.toLowerCase(), mesh.services.reduce((n, s) => n + vipsOf(s, f).length, 0));
  setCount('count-pods', mesh.pods.length);
  setCount('count-pods-dual', mesh.pods.filter((p) => p.mode === 'Dual').length);
  fill('services', mesh.services.map((s) => el('tr', { 'data-service': s.hostname },
    el('td', {}, s.hostname), el('td', {}, s.kind === 'Service' ? s.addressing : 'ServiceEntry, ' + s.addressing),
    el('td', {}, s.policy + (s.forwarding === 'native' ? ', native forwarding' : '')), el('td', {}, s.families.join(' + ') || '–'),
    addresses(vipsOf(s, 'IPv4'), 'vips-ipv4 fam-IPv4'), addresses(vipsOf(s, 'IPv6'), 'vips-ipv6 fam-IPv6'),
    el('td', {}, s.ports.join(' ')), el('td', {}, s.endpoints + (s.endpointFamilies.length ? ' (' + s.endpointFamilies.join(' + ') + ')' : '')))));
  fill('pods', mesh.pods.map((p) => el('tr', { 'data-pod': p.namespace + '/' + p.name, 'data-mode': p.mode },
    el('td', {}, p.namespace + '/' + p.name), el('td', { class: 'mode' }, p.mode),
    el('td', { class: 'addr' }, ...p.ips.map((ip, i) => el('span', { class: ip.includes(':') ? 'fam-IPv6' : 'fam-IPv4' }, (i ? ', ' : '') + ip))),
    el('td', {}, p.proxy))));
}

function typeStates(proxy) {
  const types = new Map();
  for (const s of proxy.streams) for (const t of s.types) types.set(t.type, t);
  return [...types.values()].sort((a, b) => TYPES.indexOf(a.type) - TYPES.indexOf(b.type));
}

function renderSync(syncz) {
  const proxies = syncz.proxies || [];
  setCount('count-proxies', proxies.length);
  setCount('count-synced', proxies.filter((p) => { const t = typeStates(p); return t.length > 0 && t.every((x) => x.status === 'SYNCED'); }).length);
  document.getElementById('proxies-empty').hidden = proxies.length > 0;
  fill('proxies', proxies.map((p) => el('tr', { 'data-node': p.nodeId },
    el('td', { class: 'addr' }, p.nodeId), el('td', {}, p.ipMode || '?'), addresses(p.ips || []),
    el('td', {}, ...typeStates(p).map((t) => el('span', {
      class: 'badge ' + t.status, 'data-type': t.type, 'data-status': t.status, 'data-version': t.sentVersion,
      title: t.type + ' ' + t.status + ', sent ' + t.sentVersion + ', acked ' + (t.ackedVersion || '–') + (t.error ? ': ' + t.error : ''),
    }, t.type + ' ' + t.status))),
    el('td', {}, p.nacks))));
}

function renderReach(reach) {
  for (const r of reach.reached) setCount('count-reached-' + r.family.toLowerCase(), r.calls);
  const head = el('tr', {}, el('th', {}, 'proxy'), el('th', {}, 'mode'), ...reach.services.map((s) => el('th', { class: 'svc', title: s.hostname + ':' + s.port }, s.hostname.split('.svc.')[0] + ':' + s.port)));
  document.querySelector('#reachability thead').replaceChildren(head);
  const { proxies, services } = reach.omitted;
  document.getElementById('reach-omitted').textContent = proxies || services ? 'Left out past the limits: ' + proxies + ' proxies, ' + services + ' services.' : '';
  fill('reachability', reach.rows.map((row) => el('tr', { 'data-proxy': row.proxy },
    el('th', {}, row.proxy), el('td', {}, row.type === 'proxyless' ? row.mode + ', gRPC' : row.mode),
    ...row.cells.map((cell, i) => {
      const td = el('td', { class: 'cell' }, ...cell.map((c) => el('span', {
        class: 'badge ' + (c.verdict === 'proxy-lacks-family' || c.verdict === 'no-address' ? 'none' : c.verdict),
        'data-family': c.family, 'data-verdict': c.verdict,
        title: c.family + ' → ' + reach.services[i].hostname + ': ' + c.verdict + (c.upstreamFamily ? ' over ' + c.upstreamFamily : '') + (c.error ? ' (' + c.error + ')' : ''),
      }, c.family === 'IPv4' ? '4' : '6')));
      td.addEventListener('click', () => choose(row.nodeId, reach.services[i].hostname));
      return td;
    }))));
}

function options(select, items, current) {
  const keep = items.some((i) => i.value === current) ? current : (items[0] || { value: '' }).value;
  select.replaceChildren(...items.map((i) => el('option', { value: i.value }, i.label)));
  select.value = keep;
  return keep;
}

function renderChoices() {
  const proxies = new Map();
  for (const p of (state.syncz && state.syncz.proxies) || []) proxies.set(p.nodeId, p.nodeId + ' (connected, ' + (p.ipMode || '?') + ')');
  for (const r of (state.reach && state.reach.rows) || []) if (!proxies.has(r.nodeId)) proxies.set(r.nodeId, r.proxy + ' (' + r.mode + ')');
  const services = ((state.mesh && state.mesh.services) || []).filter((s) => s.ports.length > 0);
  const dual = services.find((s) => FAMILIES.every((f) => vipsOf(s, f).length > 0));
  state.choice.proxy = options(document.getElementById('path-proxy'), [...proxies].map(([value, label]) => ({ value, label })), state.choice.proxy);
  const current = state.choice.service || (dual ? dual.hostname : '');
  state.choice.service = options(document.getElementById('path-service'), services.map((s) => ({ value: s.hostname, label: s.hostname + ' ' + s.ports[0] })), current);
}

function step(kind, name) {
  return el('div', { class: 'step', 'data-step': kind }, el('span', {}, kind), el('b', {}, name));
}

function lane(path) {
  const steps = [];
  const add = (kind, name) => { if (name) steps.push(step(kind, name)); };
  add('destination', path.destination ? path.destination + ':' + path.port + (path.call ? ' (' + path.call + ')' : '') : '');
  add('listener', path.listener); add('filter chain', path.filterChain); add('route', path.routeConfig);
  add('virtual host', path.virtualHost); add('cluster', path.cluster);
  if (path.upstreams && path.upstreams.length) add('endpoints', path.upstreams.map((u) => u.join(' + ')).join(', '));
  if (path.sourceAddress) add('bind source', path.sourceAddress);
  if (path.error) steps.push(el('div', { class: 'step error', 'data-step': 'error' }, el('span', {}, path.verdict), el('b', {}, path.error)));
  const joined = steps.flatMap((s, i) => (i ? [el('span', { class: 'arrow' }, '→'), s] : [s]));
  const title = path.family + ' call to ' + path.service + ':' + path.port + ' — ' + path.verdict + (path.upstreamFamily ? ', upstream over ' + path.upstreamFamily : '');
  return el('div', { class: 'lane', 'data-family': path.family, 'data-verdict': path.verdict }, el('h3', { class: 'fam-' + path.family }, title), ...joined);
}

async function loadPath() {
  const box = document.getElementById('path');
  const { proxy, service } = state.choice;
  if (!proxy || !service) return box.replaceChildren(el('p', { class: 'hint' }, 'No proxy or service to draw.'));
  const body = await getJson('/debug/request-path?' + new URLSearchParams({ proxyID: proxy, host: service }));
  if (body.error) return box.replaceChildren(el('p', { class: 'hint' }, body.error));
  const who = el('p', { class: 'hint' }, body.proxy.nodeId + ' — ' + body.proxy.type + ', ' + body.proxy.mode + ', ' + body.proxy.ips.join(', ') + (body.proxy.connected ? ', connected' : ', as its pod would connect'));
  box.replaceChildren(who, ...body.paths.map(lane));
}

function choose(proxy, service) {
  state.choice = { proxy, service };
  renderChoices();
  loadPath();
  document.getElementById('path').scrollIntoView({ block: 'nearest' });
}

async function refresh(topics) {
  const jobs = [];
  if (topics.includes('model')) {
    jobs.push(getJson('/debug/mesh').then((m) => { state.mesh = m; renderMesh(m); }));
    jobs.push(getJson('/debug/reachability').then((r) => { if (r.rows) { state.reach = r; renderReach(r); } }));
  }
  if (topics.includes('sync')) jobs.push(getJson('/debug/syncz').then((s) => { state.syncz = s; renderSync(s); }));
  await Promise.all(jobs);
  renderChoices();
  await loadPath();
  document.body.dataset.seq = String((Number(document.body.dataset.seq) || 0) + 1);
}

function connect() {
  const live = document.getElementById('live');
  const events = new EventSource('/ui/events');
  let queue = Promise.resolve();
  events.addEventListener('open', () => { live.dataset.state = 'live'; live.textContent = 'live'; });
  events.addEventListener('error', () => { live.dataset.state = 'reconnecting'; live.textContent = 'reconnecting…'; });
  events.addEventListener('change', (e) => {
    const { topics } = JSON.parse(e.data);
    queue = queue.then(() => refresh(topics)).catch((err) => console.error(err));
  });
}

for (const id of ['path-proxy', 'path-service']) {
  document.getElementById(id).addEventListener('change', () => {
    state.choice = { proxy: document.getElementById('path-proxy').value, service: document.getElementById('path-service').value };
    loadPath();
  });
}
connect();
`;
