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
};

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

function showGate(role, problem = null) {
  const { page, who } = PAGES[role];
  const gate = $("#gate");
  replace(
    gate,
    h(
      "section",
      { class: "card notice", "aria-labelledby": "gate-title" },
      h("h1", { id: "gate-title" }, `Sign in to open the ${page}`),
      problem ? h("p", { class: "banner banner-error", role: "alert" }, problem) : null,
      h(
        "p",
        {},
        "Mentori signs you in through the university's login. On a development server, ",
        "open the link that ",
        h("code", {}, "make run"),
        " prints for your role, or get a token with ",
        h("code", {}, `mentori token ${who}`),
        " and open ",
        h("code", {}, `${location.origin}${PAGES[role].path}#token=<token>`),
        ".",
      ),
      tokenForm(),
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
    showGate(role);
    return null;
  }
  const api = new Api(token);
  let viewer = null;
  try {
    viewer = (await api.request("query Viewer { viewer { id name role } }")).viewer;
  } catch (error) {
    if (error.code !== "NETWORK") forget();
    showGate(role, error.message);
    return null;
  }
  if (!viewer) {
    forget();
    showGate(role, "That token was not accepted. Get a fresh one and sign in again.");
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
  const live = new LiveSocket({
    token,
    onStatus: (state, detail) => {
      setStatus(state);
      if (state === "unauthorized") {
        forget();
        showGate(role, `Your sign-in has ended (${detail}). Sign in again to keep watching.`);
      }
      onStatus(state);
    },
  });
  $("#gate").hidden = true;
  $("#app").hidden = false;
  return { api, live, viewer };
}
