// Signing in on the pages. In development `make run` prints links such as
// /dashboard#token=<jwt>: the token is taken from the fragment (which never reaches the server
// or its logs), kept in this tab's sessionStorage and removed from the address bar.

import { Api, LiveSocket } from "./graphql.js";
import { $, h, loaded, replace } from "./ui.js";

const KEY = "mentori.token";

const PAGES = {
  COORDINATOR: { path: "/dashboard", page: "coordinator dashboard", who: "coordinator" },
  MENTOR: { path: "/mentor", page: "mentor inbox", who: "mentor" },
  STUDENT: { path: "/browse", page: "mentor search", who: "student" },
};

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  unauthorized: "Signed out",
  closed: "Closed",
  stopped: "Not live",
};

// Why live updates stopped, for people: the server's sentence where it has one, and what to do.
function liveProblemReason(error) {
  switch (error.code) {
    case "TOO_MANY_OPERATIONS":
      return (
        "The server allows only so many live updates on one connection, and this page asked " +
        "for more."
      );
    case "FORBIDDEN":
      return `You may not follow them: “${error.message}”`;
    case "UNAUTHENTICATED":
      return "Your sign-in has ended: sign in again.";
    case "ENDED":
      return "The server closed them; the page picks them up again when it reconnects.";
    case "INTERNAL_ERROR":
      return "The server ran into a problem.";
    default:
      return `The server said: “${error.message}”`;
  }
}

// The page's status area: the pill in the top bar and, when live updates have stopped although
// the connection is up, a banner that says why. A dropped connection only changes the pill: it
// comes back by itself.
const liveState = { connection: "connecting", problem: null };

function renderLiveStatus() {
  const { connection, problem } = liveState;
  const box = $("#live-problem");
  if (problem && connection === "live") {
    setStatus("stopped");
  } else {
    setStatus(connection);
  }
  if (!box) return;
  if (!problem) {
    replace(box);
    return;
  }
  const reload = h("button", { class: "btn btn-small", type: "button" }, "Reload the page");
  reload.addEventListener("click", () => location.reload());
  replace(
    box,
    h(
      "p",
      { class: "grow" },
      h("strong", {}, "Live updates stopped."),
      ` ${liveProblemReason(problem)} What you see here may go out of date until you reload.`,
    ),
    reload,
  );
}

// A sign-in link opened in a tab that already shows a page changes only the fragment.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("token")) location.reload();
});

export function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("token");
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  return sessionStorage.getItem(KEY);
}

// The callback of the university's login (callback.js) keeps its token the same way.
export function keepToken(token) {
  sessionStorage.setItem(KEY, token);
}

function forget() {
  sessionStorage.removeItem(KEY);
}

function tokenForm() {
  const input = h("input", {
    id: "token-input",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = h(
    "form",
    { class: "field" },
    h("label", { for: "token-input" }, "Or paste a token"),
    h("div", { class: "actions" }, input, h("button", { class: "btn btn-primary" }, "Sign in")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    location.reload();
  });
  return form;
}

// How this server signs people in (/auth/config); as in development when it cannot be asked.
async function signInOptions() {
  try {
    const response = await fetch("/auth/config");
    if (response.ok) return await response.json();
  } catch {
    // offline: the development instructions below are still right there
  }
  return { identityProvider: false, development: true };
}

async function showGate(role, problem = null) {
  const { page, who, path } = PAGES[role];
  const options = await signInOptions();
  const gate = $("#gate");
  replace(
    gate,
    h(
      "section",
      { class: "card notice", "aria-labelledby": "gate-title" },
      h("h1", { id: "gate-title" }, `Sign in to open the ${page}`),
      problem ? h("p", { class: "banner banner-error", role: "alert" }, problem) : null,
      h("p", {}, "Mentori signs you in through the university's login."),
      options.identityProvider
        ? h(
            "p",
            {},
            h(
              "a",
              { class: "btn btn-primary", href: `/auth/login?next=${encodeURIComponent(path)}` },
              "Sign in with your university account",
            ),
          )
        : null,
      !options.identityProvider && !options.development
        ? h("p", {}, "Sign-in is not set up on this server yet: ask its administrator.")
        : null,
      options.development
        ? [
            h(
              "p",
              {},
              "On a development server, open the link that ",
              h("code", {}, "make run"),
              " prints for your role, or get a token with ",
              h("code", {}, `mentori token ${who}`),
              " and open ",
              h("code", {}, `${location.origin}${path}#token=<token>`),
              ".",
            ),
            tokenForm(),
          ]
        : null,
    ),
  );
  gate.hidden = false;
  $("#app").hidden = true;
  setStatus("closed", "Not signed in");
  loaded();
}

function showWrongRole(role, viewer) {
  const mine = PAGES[viewer.role];
  replace(
    $("#gate"),
    h(
      "section",
      { class: "card notice", "aria-labelledby": "gate-title" },
      h("h1", { id: "gate-title" }, `This page is for ${PAGES[role].who}s`),
      h(
        "p",
        {},
        `You are signed in as ${viewer.name}, a ${mine.who}. Your page is the `,
        h("a", { href: mine.path }, mine.page),
        ".",
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { class: "btn", type: "button", onclick: signOut }, "Sign in as someone else"),
      ),
    ),
  );
  $("#gate").hidden = false;
  setStatus("closed", "Not for this role");
  loaded();
}

function setStatus(state, text = STATUS_TEXT[state] || state) {
  const pill = $("#live-status");
  if (!pill) return;
  pill.dataset.state = state;
  pill.textContent = text;
  pill.title =
    state === "live"
      ? "Changes appear here as they happen."
      : state === "offline"
        ? "No network: the page catches up when you are back online."
        : state === "stopped"
          ? "Live updates stopped: the message on the page says why."
          : "";
}

export function signOut() {
  forget();
  location.assign(location.pathname);
}

// Resolves with { api, live, viewer } for a person of `role`, or null after showing why not.
// `onStatus` hears every change of the live connection (to catch up after a drop).
export async function signIn(role, { onStatus = () => {} } = {}) {
  const token = takeToken();
  if (!token) {
    await showGate(role);
    return null;
  }
  const api = new Api(token);
  let viewer = null;
  try {
    viewer = (await api.request("query Viewer { viewer { id name role } }")).viewer;
  } catch (error) {
    if (error.code !== "NETWORK") forget();
    await showGate(role, error.message);
    return null;
  }
  if (!viewer) {
    forget();
    await showGate(role, "That token was not accepted. Get a fresh one and sign in again.");
    return null;
  }
  if (viewer.role !== role) {
    showWrongRole(role, viewer);
    return null;
  }
  replace($("#who"), viewer.name);
  const out = $("#sign-out");
  out.hidden = false;
  out.addEventListener("click", signOut);
  // Always in the page (empty until needed), so that screen readers announce what fills it.
  $("#app").before(h("div", { id: "live-problem", class: "banner banner-error", role: "alert" }));
  const socket = new LiveSocket({
    token,
    onStatus: (state, detail) => {
      liveState.connection = state;
      renderLiveStatus();
      if (state === "unauthorized") {
        liveState.problem = null; // the sign-in page says what happened
        renderLiveStatus();
        forget();
        showGate(role, `Your sign-in has ended (${detail}). Sign in again to keep watching.`);
      }
      onStatus(state);
    },
    onProblem: (problem) => {
      liveState.problem = problem;
      renderLiveStatus();
    },
  });
  $("#gate").hidden = true;
  $("#app").hidden = false;
  return { api, live: socket, viewer };
}
