// raftwire's status page (docs/cluster.md#the-status-page). Polls /-/status of the server that
// served it: a member's (its own view of the cluster) or the `raftwire cluster` supervisor's
// (every member's status, and the fault controls). Makes no other request.
/* global uPlot */

(() => {
  const POLL_MS = 1000;
  const CHART_POINTS = 120;

  const $ = (id) => document.getElementById(id);

  /** An element with text and attributes; children appended. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs ?? {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function fill(tableId, headers, rows) {
    const table = $(tableId);
    const head = table.tHead;
    if (head.childElementCount === 0) head.append(el('tr', {}, ...headers.map((h) => el('th', {}, h))));
    table.tBodies[0].replaceChildren(...rows);
  }

  function ago(iso) {
    if (!iso) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  }

  const yesNo = (v) => el('span', { class: v ? 'yes' : 'no' }, v ? 'up' : 'down');

  // ------------------------------------------------------------------ the view model

  /**
   * Both servers' answers as one view: { supervised, scope, members: [{ key, id, name, up, state,
   * detail, status, clientUrl, process }] } where status is that member's /-/status or null.
   */
  function view(s) {
    if (s.supervisor) {
      return {
        supervised: true,
        load: s.load,
        scope: `local cluster of ${s.members.length} (supervisor pid ${s.supervisor.pid}, data in ${s.supervisor.dataDir})`,
        members: s.members.map((m) => {
          const running = m.process.state === 'running';
          const up = running && m.status !== null;
          let state = up ? 'up' : 'down';
          if (up && m.status.isolated) state = 'isolated';
          const p = m.process;
          let detail = p.state;
          if (p.state === 'stopped' || p.state === 'exited') {
            const how = p.signal ?? (p.exitCode === null ? null : `code ${p.exitCode}`);
            detail = `${p.state}${how === null ? '' : ` (${how})`}${p.state === 'exited' && p.lastError ? `: ${p.lastError}` : ''}`;
          } else if (running && m.status === null) detail = `not answering: ${m.error ?? ''}`;
          return {
            key: String(m.index),
            id: m.id,
            name: `member ${m.index}`,
            up,
            state,
            detail,
            status: m.status,
            clientUrl: m.clientUrl,
            process: m.process,
          };
        }),
      };
    }
    return {
      supervised: false,
      scope: `as member ${s.id} sees it${s.supervised ? ' (supervised: controls on the supervisor page)' : ''}`,
      members: s.members.map((m) => {
        if (m.id === s.id) {
          return {
            key: m.id,
            id: m.id,
            name: `member ${m.id} (this one)`,
            up: true,
            state: s.isolated ? 'isolated' : 'up',
            detail: 'serving this page',
            status: s,
            clientUrl: s.clientUrl,
            process: null,
          };
        }
        const link = s.peers.find((p) => p.id === m.id);
        const reachable = link?.active === true;
        return {
          key: m.id,
          id: m.id,
          name: `member ${m.id}`,
          up: reachable,
          state: reachable ? 'up' : 'down',
          detail: reachable ? `reachable since ${ago(link.activeSince)}` : `unreachable from ${s.id}`,
          status: null,
          clientUrl: null,
          process: null,
        };
      }),
    };
  }

  /** The leader: the up member that says it leads, at the highest term. */
  function leaderOf(v) {
    let best = null;
    for (const m of v.members) {
      if (
        m.status?.role === 'leader' &&
        !m.status.isolated &&
        (best === null || m.status.term > best.status.term)
      ) {
        best = m;
      }
    }
    if (best !== null) return best;
    // A member's page knows the leader's ID from its own status.
    const self = v.members.find((m) => m.status !== null);
    const id = self?.status.leader;
    return id ? (v.members.find((m) => m.id === id) ?? null) : null;
  }

  // ------------------------------------------------------------------ rendering

  let supervised = false;

  async function act(key, action, body) {
    const msg = $('message');
    msg.className = 'muted';
    msg.textContent = `${action} member ${key}…`;
    try {
      const r = await fetch(`/-/cluster/members/${encodeURIComponent(key)}/${action}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      const text = (await r.text()).trim();
      msg.className = r.ok ? 'muted' : 'error';
      msg.textContent = r.ok
        ? `${action} member ${key}: ${text || 'done'}`
        : `${action} member ${key} failed: ${text}`;
    } catch (e) {
      msg.className = 'error';
      msg.textContent = `${action} member ${key} failed: ${e}`;
    }
    void poll();
  }

  function controls(m, leader) {
    const b = (action, label, title, body) =>
      el(
        'button',
        { 'data-action': action, 'data-member': m.key, title, onclick: () => act(m.key, action, body) },
        label,
      );
    const out = [];
    if (m.process.state === 'running') {
      out.push(b('stop', 'stop', 'SIGTERM: a clean shutdown'));
      out.push(b('kill', 'kill', 'SIGKILL: a crash'));
      out.push(b('restart', 'restart', 'stop, then start again on the same data'));
      if (m.status?.isolated) out.push(b('heal', 'heal', 'reconnect it to its peers'));
      else out.push(b('isolate', 'isolate', 'cut it off from its peers (messages dropped)'));
      if (m.up && leader !== null && leader.key !== m.key) {
        out.push(b('transfer-leadership', 'make leader', 'transfer leadership to this member'));
      }
    } else if (m.process.state !== 'starting' && m.process.state !== 'stopping') {
      out.push(b('restart', 'start', 'start it again on its data'));
    }
    return el('td', {}, ...out);
  }

  async function setLoad(rate) {
    const msg = $('message');
    try {
      const r = await fetch('/-/cluster/load', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rate }),
      });
      msg.className = r.ok ? 'muted' : 'error';
      msg.textContent = (await r.text()).trim();
    } catch (e) {
      msg.className = 'error';
      msg.textContent = `load: ${e}`;
    }
    void poll();
  }

  function renderLoad(v) {
    const box = $('load');
    box.hidden = !v.supervised || !v.load;
    if (box.hidden) return;
    if (box.childElementCount === 0) {
      const b = (rate, label) => el('button', { 'data-load': rate, onclick: () => setLoad(rate) }, label);
      box.append(
        'client load: ',
        b(0, 'off'),
        b(20, '20 writes/s'),
        b(200, '200 writes/s'),
        ' ',
        el('span', { id: 'load-status', class: 'muted' }),
      );
    }
    const l = v.load;
    box.dataset.rate = String(l.rate);
    $('load-status').textContent =
      `${l.rate === 0 ? 'off' : `${l.rate} writes/s + ${l.rate} reads/s`} · ${l.writesOk} writes ok, ${l.writesFailed} failed · ${l.readsOk} reads ok, ${l.readsFailed} failed${l.skipped > 0 ? ` · ${l.skipped} skipped (64 in flight)` : ''}`;
  }

  function renderSummary(v, leader) {
    const lead = leader?.status ?? null;
    const self = v.members.find((m) => m.status !== null)?.status ?? null;
    const ref = lead ?? self;
    const up = v.members.filter((m) => m.up).length;
    const card = (label, value, id) =>
      el('div', { class: 'card' }, el('span', { class: 'muted' }, label), el('b', { id }, value));
    const since = ref?.leaderSince ?? null;
    $('summary').replaceChildren(
      card('leader', leader ? leader.name : 'none', 'summary-leader'),
      card('leader since', since ? ago(since) : '—', 'summary-since'),
      card('term', ref ? ref.term : '—', 'summary-term'),
      card('commit', ref ? ref.commit : '—', 'summary-commit'),
      card('members up', `${up} / ${v.members.length}`, 'summary-up'),
    );
  }

  function renderMembers(v, leader) {
    const headers = [
      'member',
      'state',
      'role',
      'term',
      'commit',
      'applied',
      'snapshot',
      'leader since',
      'client URL',
    ];
    if (v.supervised) headers.push('controls');
    const rows = v.members.map((m) => {
      const s = m.status;
      const role = s?.role ?? (m.up ? '?' : '');
      const isLeader = m.up && s?.role === 'leader' && leader?.key === m.key;
      const tr = el(
        'tr',
        {
          'data-member': m.key,
          'data-up': String(m.up),
          'data-state': m.state,
          'data-role': m.up ? role : 'down',
          'data-applied': s ? s.applied : '',
          'data-term': s ? s.term : '',
          class: m.up ? '' : 'down',
        },
        el('td', {}, m.name),
        el(
          'td',
          { title: m.detail },
          el('span', { class: `state-${m.state}` }, m.state),
          m.up ? '' : ` · ${m.detail}`,
        ),
        el('td', { class: isLeader ? 'role-leader' : '' }, m.up ? role : ''),
        el('td', {}, s?.term ?? ''),
        el('td', {}, s?.commit ?? ''),
        el('td', { class: 'applied' }, s?.applied ?? ''),
        el('td', {}, s?.snapshotIndex ?? ''),
        el('td', {}, s?.role === 'leader' ? ago(s.leaderSince) : ''),
        el('td', {}, m.clientUrl ?? ''),
      );
      if (v.supervised) tr.append(controls(m, leader));
      return tr;
    });
    fill('members', headers, rows);
  }

  function renderProgress(v, leader) {
    const s = leader?.status ?? null;
    const rows = (s?.progress ?? []).map((p) =>
      el(
        'tr',
        { 'data-progress': p.id },
        el('td', {}, p.id === s.id ? `${p.id} (leader)` : p.id),
        el('td', {}, p.match),
        el('td', {}, p.next),
        el('td', {}, p.state),
        el('td', {}, p.inflight),
        el('td', {}, p.recentActive ? 'yes' : 'no'),
        el('td', {}, Math.max(0, s.commit - p.match)),
      ),
    );
    fill(
      'progress',
      ['member', 'match', 'next', 'state', 'inflight', 'recently active', 'behind commit'],
      rows,
    );
    const sends = v.members
      .filter((m) => m.status?.snapshotSends)
      .map((m) => {
        const x = m.status.snapshotSends;
        return `${m.name}: ${x.inFlight} sending, ${x.sent} sent, ${x.failed} failed`;
      });
    $('snapshots').textContent = sends.length > 0 ? `Snapshot sends — ${sends.join('; ')}` : '';
  }

  function renderLinks(v) {
    const rows = [];
    for (const m of v.members) {
      for (const p of m.status?.peers ?? []) {
        const pipeline = !(p.streams.msgappv2 && p.streams.message);
        rows.push(
          el(
            'tr',
            { 'data-link': `${m.id}-${p.id}` },
            el('td', {}, `${m.id} → ${p.id}`),
            el('td', {}, yesNo(p.active)),
            el('td', {}, yesNo(p.streams.msgappv2)),
            el('td', {}, yesNo(p.streams.message)),
            el('td', {}, p.active ? (pipeline ? 'in use' : 'idle') : ''),
            el('td', {}, p.rttMs === null ? '' : p.rttMs.toFixed(2)),
            el('td', {}, p.dropped),
          ),
        );
      }
    }
    fill(
      'links',
      ['link', 'peer', 'msgappv2 stream', 'message stream', 'pipeline', 'RTT ms', 'dropped'],
      rows,
    );
  }

  // ------------------------------------------------------------------ charts

  const series = { t: [], writes: [], reads: [], latency: [] };
  let previous = null;
  const charts = {};

  function chart(id, label, color) {
    if (typeof uPlot !== 'function') return null;
    const host = $(id);
    return new uPlot(
      {
        width: 320,
        height: 140,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [{}, { label, stroke: color, width: 1.5, fill: `${color}22`, spanGaps: true }],
        axes: [{ size: 30 }, { size: 45 }],
      },
      [[], []],
      host,
    );
  }

  function sample(v, now) {
    const totals = new Map();
    for (const m of v.members) if (m.status?.requests) totals.set(m.key, m.status.requests);
    if (previous !== null) {
      const dt = (now - previous.at) / 1000;
      let writes = 0;
      let reads = 0;
      let ms = 0;
      for (const [key, r] of totals) {
        const p = previous.totals.get(key);
        if (p === undefined || r.writes < p.writes || r.reads < p.reads) continue; // new or restarted
        writes += r.writes - p.writes;
        reads += r.reads - p.reads;
        ms += r.writeMsTotal - p.writeMsTotal;
      }
      series.t.push(now / 1000);
      series.writes.push(dt > 0 ? writes / dt : 0);
      series.reads.push(dt > 0 ? reads / dt : 0);
      series.latency.push(writes > 0 ? ms / writes : null);
      for (const k of Object.keys(series)) if (series[k].length > CHART_POINTS) series[k].shift();
    }
    previous = { at: now, totals };
    charts.writes ??= chart('chart-writes', 'writes/s', '#0969da');
    charts.reads ??= chart('chart-reads', 'reads/s', '#1a7f37');
    charts.latency ??= chart('chart-latency', 'ms', '#9a6700');
    charts.writes?.setData([series.t, series.writes]);
    charts.reads?.setData([series.t, series.reads]);
    charts.latency?.setData([series.t, series.latency]);
  }

  // ------------------------------------------------------------------ polling

  let timer;
  let inFlight = false;

  async function poll() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    try {
      const r = await fetch('/-/status', { cache: 'no-store' });
      if (!r.ok) throw new Error(`/-/status answered ${r.status}`);
      const v = view(await r.json());
      supervised = v.supervised;
      document.body.dataset.supervised = String(supervised);
      $('scope').textContent = v.scope;
      const leader = leaderOf(v);
      renderSummary(v, leader);
      renderLoad(v);
      renderMembers(v, leader);
      renderProgress(v, leader);
      renderLinks(v);
      sample(v, Date.now());
      $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
      document.body.dataset.ready = 'true';
    } catch (e) {
      $('updated').textContent = `cannot reach the server that served this page: ${e.message ?? e}`;
      for (const tr of document.querySelectorAll('#members tbody tr')) {
        tr.dataset.up = 'false';
        tr.dataset.role = 'down';
      }
    } finally {
      inFlight = false;
      timer = setTimeout(poll, POLL_MS);
    }
  }

  void poll();
})();
