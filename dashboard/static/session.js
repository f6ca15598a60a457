// Signing in on the pages. A person signed in through the university's login (or an emailed
// link) holds an HttpOnly session cookie that every request carries by itself; on a development
// server a `#token=` link or a pasted token signs in instead (sign-in.js). The page first asks
// the server who this is: nobody, and it shows the sign-in gate; someone who does not hold the
// page's role, and it shows the pages of the roles they hold (roles.js).

import { Api, LiveSocket } from "./graphql.js";
import { hideRoleSwitcher, showRoleChooser, showRoleSwitcher } from "./roles.js";
import { forget, showGate, takeToken } from "./sign-in.js";
import { $, alertBox, h, loaded, replace } from "./ui.js";

export { forget };

const VIEWER = "query Viewer { viewer { id name role roles programmes { id name } } }";
const ROLES = "query Roles { viewer { id name role roles } }";

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  unauthorized: "Signed out",
  closed: "Closed",
  stopped: "Not live",
};

// The role this page acts in, and its live connection once signed in.
const current = { role: null, token: null, socket: null };

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

async function gate(role, options = {}) {
  const heading = await showGate(role, options);
  setStatus("closed", "Not signed in");
  loaded();
  return heading;
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

// Who is signed in, acting in the page's role. Only a refused sign-in (UNAUTHENTICATED) signs
// the person out; a server in trouble (a 5xx, a database away, no answer at all) keeps it: the
// page says so and asks again with backoff, or at once when the person asks. Undefined after
// showing why the page cannot open.
async function firstViewer(api, role) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return (await api.request(VIEWER)).viewer;
    } catch (error) {
      if (error.code === "UNAUTHENTICATED") {
        forget();
        await gate(role, { problem: error.message });
        return undefined;
      }
      if (error.code === "FORBIDDEN") {
        await chooseRole(role, error);
        return undefined;
      }
      await troubleThenRetry(error, Math.min(30, 2 ** attempt));
    }
  }
}

// The person does not hold the page's role: the pages of the roles they hold.
async function chooseRole(role, refusal) {
  let viewer = null;
  try {
    viewer = (await new Api(current.token).request(ROLES)).viewer;
  } catch {
    // the refusal says enough
  }
  if (viewer) wrongRole(role, viewer);
  else await gate(role, { problem: refusal.message });
}

function wrongRole(role, viewer) {
  showRoleChooser(role, viewer, signOut);
  setStatus("closed", "Not for this role");
  loaded();
}

function troubleThenRetry(error, seconds) {
  return new Promise((resolve) => {
    const now = h("button", { class: "btn", type: "button" }, "Try again now");
    const timer = setTimeout(resolve, seconds * 1000);
    now.addEventListener("click", () => {
      clearTimeout(timer);
      resolve();
    });
    replace(
      $("#gate"),
      h(
        "section",
        { class: "card notice", "aria-labelledby": "gate-title" },
        h("h1", { id: "gate-title" }, "The server has trouble right now"),
        h("p", { class: "banner banner-error", role: "alert" }, error.message),
        h(
          "p",
          {},
          current.token ? "You are still signed in. " : "",
          `The page tries again in ${seconds} s, by itself.`,
        ),
        h("div", { class: "actions" }, now),
      ),
    );
    $("#gate").hidden = false;
    setStatus("reconnecting", "Server trouble");
    loaded();
  });
}

// The programme the page shows: the one chosen in the address (?programme=<id>) if it is one of
// the person's, else null, which means their own (the server's rule, services/programmes.py).
export function chosenProgramme(viewer) {
  const wanted = new URLSearchParams(location.search).get("programme");
  return viewer.programmes.some((p) => p.id === wanted) ? wanted : null;
}

// Someone with profiles in several programmes (this year's and next year's) switches between
// them here; the page opens again in the one chosen. `shown`: the programme on the page.
export function showProgrammePicker(viewer, shown) {
  const box = $("#programme-picker");
  const programmes = viewer.programmes.some((p) => p.id === shown.id)
    ? viewer.programmes
    : [...viewer.programmes, shown];
  if (!box || programmes.length < 2) return;
  const select = h(
    "select",
    { id: "programme-select", "aria-label": "Programme" },
    programmes.map((p) => h("option", { value: p.id, selected: p.id === shown.id }, p.name)),
  );
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("programme", select.value);
    location.assign(url);
  });
  replace(box, select);
}

// The top bar of someone no longer signed in.
function signedOutTopBar() {
  hideRoleSwitcher();
  replace($("#who"));
  $("#sign-out").hidden = true;
  $("#live-problem")?.remove();
}

// A development token is simply forgotten. A session is ended on the server, which may also
// name the identity provider's own sign-out: that login still knows the person otherwise.
export async function signOut() {
  if (current.token) {
    forget();
    location.assign(location.pathname);
    return;
  }
  let answer;
  try {
    const response = await fetch("/auth/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: "{}",
    });
    answer = response.ok ? await response.json() : null;
  } catch {
    answer = null;
  }
  if (!answer?.signedOut) {
    alertBox("The server did not answer: you are still signed in. Try again in a moment.", {
      kind: "error",
      title: "Not signed out.",
    });
    return;
  }
  current.socket?.close();
  current.socket = null;
  signedOutTopBar();
  const heading = await gate(current.role, { signedOut: answer });
  heading.focus();
}

function liveSocket(role, onStatus) {
  return new LiveSocket({
    token: current.token,
    role,
    onStatus: (state, detail) => {
      liveState.connection = state;
      renderLiveStatus();
      if (state === "unauthorized") {
        liveState.problem = null; // the sign-in page says what happened
        renderLiveStatus();
        forget();
        signedOutTopBar();
        gate(role, {
          problem: `Your sign-in has ended (${detail}). Sign in again to keep watching.`,
        });
      }
      onStatus(state);
    },
    onProblem: (problem) => {
      liveState.problem = problem;
      renderLiveStatus();
    },
  });
}

// Resolves with { api, live, viewer } for a person acting in `role`, or null after showing why
// not. `onStatus` hears every change of the live connection (to catch up after a drop).
export async function signIn(role, { onStatus = () => {} } = {}) {
  const { token, linkRefused } = await takeToken();
  current.role = role;
  current.token = token;
  const api = new Api(token, { role });
  const viewer = await firstViewer(api, role);
  if (viewer === undefined) return null;
  if (!viewer) {
    forget();
    let problem = null;
    if (token) problem = "That token was not accepted. Get a fresh one and sign in again.";
    else if (linkRefused) {
      problem = "Sign-in links that carry a token work on development servers only. Sign in below.";
    }
    await gate(role, { problem });
    return null;
  }
  if (viewer.role !== role) {
    wrongRole(role, viewer);
    return null;
  }
  replace($("#who"), viewer.name);
  showRoleSwitcher(role, viewer);
  const out = $("#sign-out");
  out.hidden = false;
  out.addEventListener("click", signOut);
  // Always in the page (empty until needed), so that screen readers announce what fills it.
  $("#app").before(h("div", { id: "live-problem", class: "banner banner-error", role: "alert" }));
  current.socket = liveSocket(role, onStatus);
  $("#gate").hidden = true;
  $("#app").hidden = false;
  return { api, live: current.socket, viewer };
}
