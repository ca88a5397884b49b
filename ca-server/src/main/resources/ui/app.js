'use strict';
/*
 * The review pages, one hash route each: #/sessions (filters and full-text search), #/play/ID
 * (the player, ?t= seeks), #/live (sessions open now, which admins may end), #/requests (access
 * requests the user may review) and #/audit. The
 * pages hold no data of their own: every call goes to the CA's JSON API with the ID token, and
 * the CA decides what this user may see. Built with DOM calls only (no innerHTML), for a strict
 * Content-Security-Policy and no markup from recorded output.
 */
const App = (() => {
  const page = document.getElementById('page');
  const state = { hits: new Map(), player: null };

  // ---- small helpers

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name.startsWith('on')) {
        node.addEventListener(name.slice(2), value);
      } else if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? '' : value);
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  function show(...nodes) {
    page.replaceChildren(...nodes);
  }

  function message(text, kind = 'note') {
    return el('p', { class: kind, role: kind === 'error' ? 'alert' : null }, text);
  }

  function offset(seconds) {
    const tenths = Math.ceil(seconds * 10 - 1e-6);
    const whole = Math.floor(tenths / 10);
    const mmss = Math.floor(whole / 60) + ':' + String(whole % 60).padStart(2, '0');
    return tenths % 10 ? mmss + '.' + (tenths % 10) : mmss;
  }

  function when(rfc3339) {
    return rfc3339 ? rfc3339.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
  }

  /** A snippet with the searched text marked. */
  function marked(snippet, query) {
    const at = query ? snippet.toLowerCase().indexOf(query.toLowerCase()) : -1;
    if (at < 0) {
      return [snippet];
    }
    return [snippet.slice(0, at), el('mark', {}, snippet.slice(at, at + query.length)), snippet.slice(at + query.length)];
  }

  function routeParams() {
    const [path, query] = location.hash.replace(/^#/, '').split('?');
    return { path: path || '/sessions', params: new URLSearchParams(query || '') };
  }

  function go(path, params) {
    const query = new URLSearchParams([...params].filter(([, value]) => value !== '' && value !== null));
    location.hash = path + (query.toString() ? '?' + query : '');
  }

  /** A CA API call with the ID token; a 401 signs out, other errors carry the CA's detail. */
  async function api(path, options = {}) {
    const token = WritOidc.token();
    if (!token) {
      signedOut('Your sign-in has expired; sign in again.');
      throw new Error('signed out');
    }
    const headers = Object.assign({}, options.headers, { Authorization: 'Bearer ' + token });
    const response = await fetch('../' + path, Object.assign({}, options, { headers }));
    if (response.status === 401) {
      WritOidc.signOut();
      signedOut('The CA did not accept your sign-in; sign in again.');
      throw new Error('signed out');
    }
    if (!response.ok) {
      let detail = 'HTTP ' + response.status;
      try {
        detail = (await response.json()).detail || detail;
      } catch (notJson) {
        // keep the status
      }
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return response;
  }

  // ---- #/sessions: filters, full-text search, hits with their times

  async function sessions(params) {
    const field = (name, label, type = 'text', hint = '') => el('label', {}, label,
      el('input', { name, type, value: params.get(name) || '', placeholder: hint }));
    const form = el('form', { class: 'filters', id: 'search' },
      field('q', 'Output contains', 'search', 'rm -rf'), field('user', 'Identity', 'text', 'alice@example.com or alice*'),
      field('target', 'Target', 'text', 'web01 or web*'), field('since', 'Since (UTC)', 'datetime-local'),
      field('until', 'Until (UTC)', 'datetime-local'), el('button', { type: 'submit' }, 'Search'));
    form.addEventListener('submit', event => {
      event.preventDefault();
      go('/sessions', new FormData(form));
    });
    const results = el('div', { id: 'results' }, message('Loading…'));
    show(el('h1', {}, 'Sessions'), form, results);
    const query = new URLSearchParams();
    for (const name of ['q', 'user', 'target']) {
      if (params.get(name)) {
        query.set(name, params.get(name));
      }
    }
    for (const name of ['since', 'until']) {
      if (params.get(name)) {
        query.set(name, params.get(name) + ':00Z');
      }
    }
    try {
      const found = (await (await api('v1/recordings?' + query)).json()).recordings;
      results.replaceChildren(found.length ? table(found, params.get('q')) : message('No recordings match.'));
    } catch (error) {
      results.replaceChildren(message(error.status === 403 ? 'Only auditors may review recordings.' : error.message, 'error'));
    }
  }

  function table(recordings, query) {
    const rows = [];
    for (const r of recordings) {
      state.hits.set(r.id, { query, hits: r.hits || [] });
      const link = el('a', { href: '#/play/' + encodeURIComponent(r.id) + (query ? '?q=' + encodeURIComponent(query) : '') },
        when(r.started_at));
      rows.push(el('tr', { class: 'recording' }, el('td', {}, link), el('td', {}, offset(r.duration_seconds)),
        el('td', {}, r.identity), el('td', {}, r.login + '@' + r.target),
        el('td', {}, r.truncated ? el('span', { class: 'badge' }, 'truncated') : '')));
      if (r.hits && r.hits.length) {
        const hits = el('ul', { class: 'hits' }, r.hits.map(hit => el('li', {},
          el('a', { class: 'hit', href: '#/play/' + encodeURIComponent(r.id) + '?t=' + hit.offset + '&q=' + encodeURIComponent(query) },
            offset(hit.offset)), ' ', el('code', {}, marked(hit.snippet, query)))));
        if (r.hit_count > r.hits.length) {
          hits.append(el('li', {}, '… and ' + (r.hit_count - r.hits.length) + ' more'));
        }
        rows.push(el('tr', { class: 'hit-row' }, el('td', { colspan: 5 }, hits)));
      }
    }
    return el('table', {}, el('thead', {}, el('tr', {}, ['Started', 'Duration', 'Identity', 'Login@target', ''].map(h => el('th', {}, h)))),
      el('tbody', {}, rows));
  }

  // ---- #/play/ID: the player

  async function play(id, params) {
    const info = el('dl', { class: 'facts' });
    const screen = el('div', { id: 'terminal' });
    const time = el('span', { id: 'time' }, '0:00');
    const seek = el('input', { id: 'seek', type: 'range', min: 0, max: 0, step: '0.01', value: 0 });
    const toggle = el('button', { id: 'play', type: 'button' }, 'Play');
    const speed = el('select', { id: 'speed' }, [0.5, 1, 2, 4, 8].map(s => el('option', { value: s, selected: s === 1 }, s + '×')));
    const download = el('button', { id: 'download', type: 'button' }, 'Download .cast');
    const hitList = el('ul', { class: 'hits' });
    show(el('h1', {}, 'Session ', el('code', {}, id)), info,
      el('div', { class: 'player' }, screen, el('div', { class: 'controls' }, toggle, seek, time, speed, download)), hitList);
    let cast;
    try {
      cast = WritPlayer.parse(await (await api('v1/recordings/' + encodeURIComponent(id))).text());
    } catch (error) {
      show(el('h1', {}, 'Session ', el('code', {}, id)),
        message(error.status === 403 ? 'Only auditors may review recordings.' : error.message, 'error'));
      return;
    }
    const facts = cast.header.writ || {};
    for (const [label, value] of [['Identity', facts.identity], ['Login', facts.login], ['Target', facts.target],
      ['Started', new Date(cast.header.timestamp * 1000).toISOString().replace('.000', '')],
      ['Session', facts.session_id], ['Grant', facts.grant], ['From', facts.client_address],
      ['Truncated', facts.truncated === 'true' ? 'yes' : null], ['Ended by the bastion', endOf(cast.events)]]) {
      if (value) {
        info.append(el('dt', {}, label), el('dd', {}, value));
      }
    }
    if (state.player) {
      state.player.pause();
    }
    const player = new WritPlayer(screen, cast, {
      onTime: t => {
        time.textContent = offset(t) + ' / ' + offset(player.duration);
        seek.value = t;
        toggle.textContent = player.playing ? 'Pause' : 'Play';
      },
    });
    state.player = player;
    window.writPlayer = player; // for the browser test and the curious
    seek.max = player.duration;
    seek.addEventListener('input', () => player.seek(Number(seek.value)));
    toggle.addEventListener('click', () => (player.playing ? player.pause() : player.play()));
    speed.addEventListener('change', () => player.setSpeed(Number(speed.value)));
    download.addEventListener('click', () => save(id, cast));
    const known = state.hits.get(id);
    if (known && known.hits.length) {
      hitList.append(el('li', { class: 'caption' }, 'Hits for “' + known.query + '”:'));
      known.hits.forEach(hit => hitList.append(el('li', {},
        el('button', { type: 'button', class: 'hit', onclick: () => player.seekHit(hit.offset) }, offset(hit.offset)), ' ',
        el('code', {}, marked(hit.snippet, known.query)))));
    }
    await player.seekHit(params.has('t') ? Number(params.get('t')) : 0);
    screen.dataset.ready = 'true';
  }

  /**
   * What the bastion's last ended marker says (see the bastion's README, "Recording"): why it ended
   * the session, who when an admin did, and when; null when a side closed the session.
   */
  function endOf(events) {
    for (let i = events.length - 1; i >= 0; i--) {
      if (events[i].code !== 'm') {
        continue;
      }
      let marker;
      try {
        marker = JSON.parse(events[i].data);
      } catch (notTheBastions) {
        continue;
      }
      if (marker && marker.event === 'ended' && typeof marker.reason === 'string') {
        return marker.reason + (typeof marker.admin === 'string' ? ' by ' + marker.admin : '')
          + (typeof marker.admin_reason === 'string' ? ': ' + marker.admin_reason : '') + ', at ' + offset(events[i].time);
      }
    }
    return null;
  }

  async function save(id, cast) {
    const response = await api('v1/recordings/' + encodeURIComponent(id));
    const link = el('a', { href: URL.createObjectURL(await response.blob()), download: id + '.cast' });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ---- #/live: the sessions open at the bastions now; admins may end one, with a reason

  async function live() {
    const list = el('div', { id: 'live' }, message('Loading…'));
    show(el('h1', {}, 'Live sessions'), list);
    try {
      const open = (await (await api('v1/sessions')).json()).sessions;
      list.replaceChildren(open.length ? el('table', { class: 'live' },
        el('thead', {}, el('tr', {}, ['Started', 'Identity', 'Login@target', 'From', 'Bastion', ''].map(h => el('th', {}, h)))),
        el('tbody', {}, open.map(liveSession))) : message('No live sessions.'));
    } catch (error) {
      list.replaceChildren(message(error.status === 403 ? 'Only auditors may list live sessions.' : error.message, 'error'));
    }
  }

  function liveSession(s) {
    const reason = el('input', { type: 'text', class: 'reason', placeholder: 'reason (required)' });
    const outcome = el('span', { class: 'outcome' });
    const button = el('button', { type: 'button', class: 'end' }, 'End session');
    button.addEventListener('click', async () => {
      if (!reason.value.trim()) {
        outcome.textContent = 'A reason is required: the engineer reads it, the audit log keeps it.';
        return;
      }
      try {
        const ended = await (await api('v1/sessions/' + encodeURIComponent(s.id) + '?reason='
          + encodeURIComponent(reason.value), { method: 'DELETE' })).json();
        outcome.textContent = ended.ended ? 'ended' : 'the bastion was told; not confirmed yet';
        button.disabled = true;
        reason.disabled = true;
      } catch (error) {
        outcome.textContent = error.message;
      }
    });
    return el('tr', { class: 'live-session', 'data-id': s.id }, el('td', {}, when(s.started)), el('td', {}, s.identity),
      el('td', {}, s.login + '@' + s.target), el('td', {}, s.client_address), el('td', {}, s.bastion),
      el('td', { class: 'actions' }, reason, button, outcome));
  }

  // ---- #/requests: pending access requests this user may review

  async function requests() {
    const list = el('div', { id: 'requests' }, message('Loading…'));
    show(el('h1', {}, 'Access requests'), list);
    try {
      const all = (await (await api('v1/access-requests?state=pending')).json()).requests;
      const mine = all.filter(r => r.may_review);
      list.replaceChildren(mine.length ? el('ul', { class: 'requests' }, mine.map(request)) : message('Nothing waits for your review.'));
    } catch (error) {
      list.replaceChildren(message(error.message, 'error'));
    }
  }

  function request(r) {
    const comment = el('input', { type: 'text', placeholder: 'comment (optional)' });
    const outcome = el('span', { class: 'outcome' });
    const decide = decision => async () => {
      try {
        const body = JSON.stringify({ decision, comment: comment.value || undefined });
        const after = await (await api('v1/access-requests/' + encodeURIComponent(r.id) + '/reviews',
          { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).json();
        outcome.textContent = 'now ' + after.state;
      } catch (error) {
        outcome.textContent = error.message;
      }
    };
    return el('li', { class: 'request' },
      el('strong', {}, r.requester), ' asks for ', el('code', {}, r.role), ' for ', r.duration,
      r.reason ? [' — ', el('q', {}, r.reason)] : '',
      el('div', { class: 'meta' }, 'asked ' + when(r.created_at) + ', ' + r.approvals + ' of ' + r.approvals_required
        + ' approvals, expires in ' + r.time_left),
      el('div', { class: 'actions' }, comment,
        el('button', { type: 'button', class: 'approve', onclick: decide('approve') }, 'Approve'),
        el('button', { type: 'button', class: 'deny', onclick: decide('deny') }, 'Deny'), outcome));
  }

  // ---- #/audit: the audit log, filtered

  async function audit(params) {
    const field = (name, label, hint = '') => el('label', {}, label,
      el('input', { name, value: params.get(name) || '', placeholder: hint }));
    const form = el('form', { class: 'filters' }, field('actor', 'Actor', 'alice@example.com'),
      field('type', 'Type', 'recording.* or access.approved'), field('since', 'Since', '2026-11-21T00:00:00Z'),
      field('until', 'Until'), el('button', { type: 'submit' }, 'Filter'));
    form.addEventListener('submit', event => {
      event.preventDefault();
      go('/audit', new FormData(form));
    });
    const events = el('div', {}, message('Loading…'));
    show(el('h1', {}, 'Audit log'), form, events);
    const query = new URLSearchParams([...params].filter(([, value]) => value));
    if (!query.has('limit')) {
      query.set('limit', '500');
    }
    try {
      const text = await (await api('v1/audit?' + query)).text();
      const rows = text.split('\n').filter(line => line).map(line => JSON.parse(line)).reverse();
      events.replaceChildren(rows.length ? el('table', { class: 'audit' },
        el('thead', {}, el('tr', {}, ['#', 'At', 'Type', 'Actor', 'Outcome', 'Details'].map(h => el('th', {}, h)))),
        el('tbody', {}, rows.map(e => el('tr', { class: e.outcome }, el('td', {}, e.seq), el('td', {}, when(e.at)),
          el('td', {}, e.type), el('td', {}, e.actor), el('td', {}, e.outcome),
          el('td', {}, el('code', {}, JSON.stringify(e.details))))))) : message('No events match.'));
    } catch (error) {
      events.replaceChildren(message(error.status === 403 ? 'Only auditors may read the audit log.' : error.message, 'error'));
    }
  }

  // ---- sign-in state and routing

  function signedOut(why) {
    document.getElementById('signed-out').hidden = false;
    document.getElementById('nav').hidden = true;
    document.getElementById('sign-out').hidden = true;
    document.getElementById('who').textContent = '';
    document.getElementById('sign-in-error').textContent = why || '';
    page.replaceChildren();
  }

  function signedIn() {
    document.getElementById('signed-out').hidden = true;
    document.getElementById('nav').hidden = false;
    document.getElementById('sign-out').hidden = false;
    document.getElementById('who').textContent = WritOidc.identity();
  }

  async function route() {
    if (!WritOidc.token()) {
      signedOut();
      return;
    }
    signedIn();
    if (state.player) {
      state.player.pause();
    }
    const { path, params } = routeParams();
    for (const link of document.querySelectorAll('#nav a')) {
      link.classList.toggle('current', path.startsWith('/' + link.dataset.page) || (link.dataset.page === 'sessions' && path.startsWith('/play')));
    }
    if (path.startsWith('/play/')) {
      await play(decodeURIComponent(path.slice('/play/'.length)), params);
    } else if (path === '/live') {
      await live();
    } else if (path === '/requests') {
      await requests();
    } else if (path === '/audit') {
      await audit(params);
    } else {
      await sessions(params);
    }
  }

  async function start() {
    document.getElementById('sign-in').addEventListener('click', () =>
      WritOidc.signIn().catch(error => signedOut('Cannot sign in: ' + error.message)));
    document.getElementById('sign-out').addEventListener('click', () => {
      WritOidc.signOut();
      signedOut('Signed out.');
    });
    window.addEventListener('hashchange', route);
    try {
      await WritOidc.completeSignIn();
    } catch (error) {
      signedOut('Sign-in failed: ' + error.message);
      return;
    }
    await route();
  }

  return { start };
})();

App.start();
