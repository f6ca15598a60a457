// GraphQL for Mentori's pages: queries and mutations over HTTP (fetch) and subscriptions over
// WebSocket with the graphql-transport-ws protocol. No dependencies: the pages are static files
// and must work without reaching anything but their own server. A person signed in through the
// university's login holds an HttpOnly session cookie, which both carry by themselves; a
// development token, when there is one, goes along as a bearer token and wins over the cookie.
// Both name the role the page acts in (a person may hold several): `X-Mentori-Role` on each
// request, `role` in the WebSocket's connection_init.

export class ApiError extends Error {
  constructor(message, code = "ERROR", errors = []) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.errors = errors;
  }
}

function errorFrom(errors) {
  const first = errors[0] || {};
  const code = (first.extensions && first.extensions.code) || "ERROR";
  return new ApiError(first.message || "Something went wrong.", code, errors);
}

export class Api {
  constructor(token, { role = null, endpoint = "/graphql" } = {}) {
    this.token = token;
    this.role = role;
    this.endpoint = endpoint;
  }

  headers() {
    const headers = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.role) headers["x-mentori-role"] = this.role;
    return headers;
  }

  // Resolves with `data`; rejects with an ApiError whose message is meant for people.
  async request(query, variables = {}) {
    let response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: this.headers(),
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError(
        "The server cannot be reached. Check your connection and try again.",
        "NETWORK",
      );
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(`The server answered ${response.status} without data.`, "HTTP");
    }
    if (body.errors && body.errors.length) throw errorFrom(body.errors);
    return body.data;
  }
}

// Close codes after which trying again cannot help: the sign-in (or the role) was refused.
const REFUSED = new Set([4401, 4403]);

export function defaultSocketUrl(path = "/graphql") {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

// One WebSocket shared by every subscription of a page. It reconnects with exponential backoff
// (and at once when the browser comes back online), re-subscribing each live subscription with
// fresh variables, so a caller can ask to resume "after the last event I saw". A subscription
// the server ends with an error (FORBIDDEN, TOO_MANY_OPERATIONS…) is not retried, as
// trying again on this connection cannot help; one it simply completes (a server shutting
// down) is tried again on the next connection. `onProblem` hears of each, and hears `null`
// once none is left (the page ended or replaced them, or they were resumed).
export class LiveSocket {
  constructor({
    token = null,
    role = null,
    url = defaultSocketUrl(),
    onStatus = () => {},
    onProblem = () => {},
    pingEvery = 10000,
    pongWithin = 5000,
    ackWithin = 10000,
    maxDelay = 15000,
  }) {
    this.token = token;
    this.role = role;
    this.url = url;
    this.onStatus = onStatus;
    this.onProblem = onProblem;
    this.ended = new Map(); // id -> { entry, failure }: subscriptions the server ended
    this.pingEvery = pingEvery;
    this.pongWithin = pongWithin;
    this.ackWithin = ackWithin;
    this.maxDelay = maxDelay;
    this.subscriptions = new Map();
    this.nextId = 1;
    this.attempts = 0;
    this.socket = null;
    this.acked = false;
    this.stopped = false;
    this.timers = {};
    this.status = "connecting";
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.drop("offline"));
  }

  // `variables` may be a function: it is called on every (re)subscription. `resync` is called
  // when the server dropped updates for a slow connection and the subscription starts again:
  // the page should read afresh what it shows. Returns a function that ends the subscription.
  subscribe(query, variables, { next, error = () => {}, complete = () => {}, resync = () => {} }) {
    const entry = { id: String(this.nextId++), query, variables, next, error, complete, resync };
    this.subscriptions.set(entry.id, entry);
    if (this.acked) this.sendSubscribe(entry);
    else this.ensureConnected();
    return () => {
      if (this.subscriptions.delete(entry.id) && this.acked) {
        this.send({ id: entry.id, type: "complete" });
      }
      if (this.ended.delete(entry.id)) this.reportProblem();
    };
  }

  // The same subscription under a new id (the server has ended the old one).
  restart(entry) {
    this.subscriptions.delete(entry.id);
    entry.id = String(this.nextId++);
    this.subscriptions.set(entry.id, entry);
    if (this.acked) this.sendSubscribe(entry);
    entry.resync();
  }

  failed(entry, errors) {
    if (errors.some((e) => e.extensions && e.extensions.reason === "FELL_BEHIND")) {
      this.restart(entry);
    } else {
      this.end(entry, errorFrom(errors));
    }
  }

  end(entry, failure) {
    this.subscriptions.delete(entry.id);
    this.ended.set(entry.id, { entry, failure });
    entry.error(failure);
    this.reportProblem();
  }

  reportProblem() {
    const problems = [...this.ended.values()];
    this.onProblem(problems.length ? problems[problems.length - 1].failure : null);
  }

  // On a new connection: every live subscription again, and those the old connection's server
  // completed too (the page then reads afresh what they show).
  subscribeAll() {
    const resumed = [];
    for (const [id, { entry, failure }] of this.ended) {
      if (failure.code !== "ENDED") continue;
      this.ended.delete(id);
      this.subscriptions.set(id, entry);
      resumed.push(entry);
    }
    for (const entry of this.subscriptions.values()) this.sendSubscribe(entry);
    for (const entry of resumed) entry.resync();
    if (resumed.length) this.reportProblem();
  }

  close() {
    this.stopped = true;
    this.clearTimers();
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, "page closed");
    }
    this.socket = null;
    this.setStatus("closed");
  }

  reconnectNow() {
    if (this.stopped || this.status === "unauthorized") return;
    clearTimeout(this.timers.retry);
    this.attempts = 0;
    if (!this.socket) this.connect();
  }

  ensureConnected() {
    if (!this.socket && !this.timers.retry && !this.stopped) this.connect();
  }

  setStatus(status, detail = "") {
    this.status = status;
    this.onStatus(status, detail);
  }

  connect() {
    this.timers.retry = null;
    if (!navigator.onLine) {
      this.setStatus("offline");
      return;
    }
    this.setStatus(this.attempts ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new WebSocket(this.url, "graphql-transport-ws");
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.acked = false;
    socket.onopen = () => {
      this.send({ type: "connection_init", payload: this.initPayload() });
      this.timers.ack = setTimeout(() => this.drop("no acknowledgement"), this.ackWithin);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => this.closed(event.code, event.reason);
    socket.onerror = () => {}; // a close event follows; it decides what to do
  }

  // The cookie, if any, rode the handshake; a development token goes here.
  initPayload() {
    const payload = {};
    if (this.token) payload.Authorization = `Bearer ${this.token}`;
    if (this.role) payload.role = this.role;
    return payload;
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  sendSubscribe(entry) {
    const variables = typeof entry.variables === "function" ? entry.variables() : entry.variables;
    this.send({ id: entry.id, type: "subscribe", payload: { query: entry.query, variables } });
  }

  receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    const entry = message.id ? this.subscriptions.get(message.id) : null;
    switch (message.type) {
      case "connection_ack":
        clearTimeout(this.timers.ack);
        this.acked = true;
        this.attempts = 0;
        this.setStatus("live");
        this.subscribeAll();
        this.heartbeat();
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.timers.pong);
        break;
      case "next":
        if (!entry) break;
        if (message.payload.errors && message.payload.errors.length && !message.payload.data) {
          this.failed(entry, message.payload.errors);
        } else {
          entry.next(message.payload.data);
        }
        break;
      case "error":
        if (!entry) break;
        this.failed(entry, message.payload || []);
        break;
      case "complete":
        // The page's own subscriptions never end by themselves: the server stopped this one.
        if (!entry) break;
        entry.complete();
        this.end(entry, new ApiError("The server ended these live updates.", "ENDED"));
        break;
      default:
        break;
    }
  }

  // A connection that stops answering pings is dead even if the browser has not noticed.
  heartbeat() {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      this.send({ type: "ping" });
      clearTimeout(this.timers.pong);
      this.timers.pong = setTimeout(() => this.drop("no pong"), this.pongWithin);
    }, this.pingEvery);
  }

  clearTimers() {
    clearTimeout(this.timers.ack);
    clearTimeout(this.timers.pong);
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
    this.timers = {};
  }

  // Abandon the current socket without waiting for a closing handshake that may never come.
  drop(why) {
    if (!this.socket) {
      if (why === "offline") this.setStatus("offline");
      return;
    }
    const socket = this.socket;
    socket.onclose = null;
    socket.onmessage = null;
    try {
      socket.close(4000, why);
    } catch {
      // already closing
    }
    this.closed(1006, why);
  }

  closed(code, reason) {
    this.clearTimers();
    this.socket = null;
    this.acked = false;
    if (this.stopped) return;
    if (REFUSED.has(code)) {
      this.setStatus("unauthorized", reason || "Your sign-in was refused.");
      return;
    }
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (!navigator.onLine) {
      this.setStatus("offline"); // the "online" event reconnects
      return;
    }
    const base = Math.min(this.maxDelay, 500 * 2 ** this.attempts);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempts += 1;
    this.setStatus("reconnecting");
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }
}
