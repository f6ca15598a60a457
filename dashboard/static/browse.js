// The student's mentor search: filters, profile cards, one request at a time. Live: a mentor who
// fills up leaves the list, one who becomes busy says so, and the student's own request changes
// state the moment the mentor decides. Once matched, the mentor's contact takes the search's
// place (one mentor per student in a programme).

import { choice, wireChoiceFilter } from "./choice-list.js";
import { mentorCard as renderMentorCard } from "./mentor-card.js";
import { currentFilter, currentOrder, fillSearchForm, wireSearchForm } from "./search-form.js";
import { chosenProgramme, showProgrammePicker, signIn } from "./session.js";
import {
  $,
  alertBox,
  announce,
  badge,
  busy,
  formatDate,
  formatDateTime,
  h,
  label,
  loaded,
  localId,
  pluralise,
  replace,
  showError,
} from "./ui.js";
import { programmeYear } from "./year.js";

const REQUEST_FIELDS = `
  id status message reason createdAt decidedAt expiresAt
  mentor { id displayName headline availability contactEmail erased }`;

const MENTOR_FIELDS = `
  id displayName headline city location remoteOk hasDoctorate workingLifeYears
  capacity remainingCapacity availability degreeLevels
  languages { code name } fields { id name }
  educationalBackground professionalBackground careerExperience
  fit { score reasons takesYourDegreeLevel }`;

const STUDENT_FIELDS = `id displayName degreeLevel degreeLevelFixed matched onExchange
  field { id name } languages { code name }`;

const BOOT = `query Browse($programmeId: ID) {
  programme(id: $programmeId) {
    id name timezone today studentPendingLimit phases { phase opensOn closesOn isOpen }
  }
  myStudentProfile(programmeId: $programmeId) { ${STUDENT_FIELDS} }
  myRequests(programmeId: $programmeId) { ${REQUEST_FIELDS} }
  languages { code name }
  fields { id name school }
}`;
const MINE = `query Mine($programmeId: ID) {
  myStudentProfile(programmeId: $programmeId) { ${STUDENT_FIELDS} }
  myRequests(programmeId: $programmeId) { ${REQUEST_FIELDS} }
}`;
const SEARCH = `query Search(
  $filter: MentorFilter, $after: String, $programmeId: ID, $orderBy: MentorOrder!
) {
  mentors(
    filter: $filter, first: 24, after: $after, programmeId: $programmeId, orderBy: $orderBy
  ) {
    totalCount seq
    pageInfo { hasNextPage endCursor }
    edges { node { ${MENTOR_FIELDS} } }
  }
}`;
const AVAILABILITY = `subscription Availability($filter: MentorFilter, $programmeId: ID) {
  mentorAvailabilityChanged(filter: $filter, programmeId: $programmeId) {
    seq mentorId availability previous capacity remainingCapacity pendingCount
    mentor { ${MENTOR_FIELDS} }
  }
}`;
const REQUEST_EVENTS = `subscription MyRequestEvents($programmeId: ID) {
  myRequestEvents(programmeId: $programmeId) { seq kind at request { ${REQUEST_FIELDS} } } }`;
const SEND = `mutation Send($mentorId: ID!, $message: String!) {
  sendRequest(mentorId: $mentorId, message: $message) { ${REQUEST_FIELDS} } }`;
const WITHDRAW = `mutation Withdraw($id: ID!) {
  withdrawRequest(requestId: $id) { ${REQUEST_FIELDS} } }`;
const SAVE_PROFILE = `mutation SaveProfile($input: StudentProfileInput!, $programmeId: ID) {
  updateStudentProfile(input: $input, programmeId: $programmeId) { ${STUDENT_FIELDS} } }`;

const state = {
  programme: null,
  student: null,
  requests: new Map(),
  results: [],
  totalCount: 0,
  hasNext: false,
  endCursor: null,
  sending: null,
  searchSeq: 0,
  searched: false, // a first search has answered
  order: "FIT", // the order the list is in: FIT (recommended) or JOINED
};

const tz = () => state.programme.timezone;
const pending = () => [...state.requests.values()].filter((r) => r.status === "PENDING");
const accepted = () => [...state.requests.values()].find((r) => r.status === "ACCEPTED");
// Matched students do not search again in this programme (one mentor each).
const isMatched = () => Boolean(accepted() || (state.student && state.student.matched));

// The search and its live subscription, started and stopped as the student becomes matched
// or not; `refresh` reads the list afresh (set up in main()).
const liveSearch = { start: () => {}, stop: () => {}, refresh: () => {} };
// The programme year after matching (year.js), shown once matched (set up in main()).
let year = null;

// ---- Catalogue ------------------------------------------------------------------------------

function fieldOptions(fields) {
  const schools = new Map();
  for (const f of fields) {
    if (!schools.has(f.school)) schools.set(f.school, []);
    schools.get(f.school).push(f);
  }
  return [...schools.entries()].map(([school, list]) =>
    h("optgroup", { label: school }, list.map((f) => h("option", { value: f.id }, f.name))),
  );
}

function fillSetup(languages, fields) {
  $("#setup-field").append(...fieldOptions(fields));
  replace(
    $("#setup-languages-list"),
    h(
      "div",
      { class: "checks checks-grid" },
      languages.map((l) => choice("language", l.code, l.name, `${l.name} ${l.code}`)),
    ),
  );
  wireChoiceFilter("setup-languages", "language");
}

// ---- Mentor cards ---------------------------------------------------------------------------

const atRequestLimit = () => pending().length >= state.programme.studentPendingLimit;

// Whether students may send requests today (the server's today, in the programme's time zone),
// and the dates said in the right tense.
function requestWindow() {
  const phase = state.programme.phases.find((p) => p.phase === "STUDENT_REQUESTS");
  if (!phase) return { open: false, text: "Request dates are still to be announced." };
  const opens = formatDate(phase.opensOn);
  const closes = formatDate(phase.closesOn, { year: "numeric" });
  if (phase.isOpen) return { open: true, text: `Requests are open until ${closes}.` };
  if (state.programme.today < phase.opensOn) {
    return { open: false, text: `Requests open on ${opens} and close on ${closes}.` };
  }
  return { open: false, text: `Requests opened on ${opens} and closed on ${closes}.` };
}

// The list's order, as the search gives it: the best fit first, and mentors who fit alike (or
// every mentor, in the other order) in the order they joined.
function comesBefore(a, b) {
  if (state.order === "FIT") {
    const [x, y] = [a.fit ? a.fit.score : 0, b.fit ? b.fit.score : 0];
    if (x !== y) return x > y;
  }
  return localId(a.id) < localId(b.id);
}

// A button that cannot be used now says why, next to it and to assistive technology; it stays
// focusable (aria-disabled) so that keyboard and screen reader users find the reason too.
function unavailable(text, name, why, whyId) {
  return [
    h(
      "button",
      {
        class: "btn",
        type: "button",
        "aria-disabled": "true",
        "aria-label": name,
        "aria-describedby": whyId,
      },
      text,
    ),
    h("span", { class: "hint", id: whyId }, why),
  ];
}

function requestButton(mentor) {
  if (!state.student || isMatched()) return null;
  const name = `Send request to ${mentor.displayName}`;
  const whyId = `why-${localId(mentor.id)}`;
  if (pending().some((r) => r.mentor.id === mentor.id)) {
    return unavailable("Request sent", null, "Waiting for this mentor's answer.", whyId);
  }
  if (mentor.fit && !mentor.fit.takesYourDegreeLevel) {
    const theirs = mentor.degreeLevels.map((d) => label(d)).join(" and ");
    const why = `Takes ${theirs} students only; you are a ${label(state.student.degreeLevel)} student.`;
    return unavailable("Send request", name, why, whyId);
  }
  if (mentor.availability === "BUSY") {
    const why = "Others are waiting for this mentor's answer.";
    return unavailable("Busy right now", null, why, whyId);
  }
  const dates = requestWindow();
  if (!dates.open) return unavailable("Send request", name, dates.text, whyId);
  if (atRequestLimit()) {
    return unavailable("Send request", name, "One request at a time: yours is waiting.", whyId);
  }
  const ask = h(
    "button",
    { class: "btn btn-primary", type: "button", "aria-label": name },
    "Send request",
  );
  ask.addEventListener("click", () => openSend(mentor));
  return ask;
}

// Above the list: why every "Send request" is off while a request waits.
function renderRequestLimitNote() {
  const note = $("#one-at-a-time");
  const waiting = pending();
  note.hidden = !state.student || isMatched() || !atRequestLimit();
  if (note.hidden) return;
  const limit = state.programme.studentPendingLimit;
  const whom = waiting.map((r) => r.mentor.displayName).join(" and ");
  replace(
    note,
    h("strong", {}, limit === 1 ? "One request at a time." : `${limit} requests at a time.`),
    ` Your request to ${whom} is waiting for an answer. You can ask another mentor once `,
    limit === 1 ? "it is answered or you withdraw it." : "one is answered or withdrawn.",
  );
}

// The shared card (mentor-card.js), with what only the student who searches sees: why the
// mentor is recommended to them, and whether the mentor takes their degree level at all.
function mentorCard(mentor) {
  const card = renderMentorCard(mentor, { actions: requestButton(mentor) });
  const fit = mentor.fit;
  if (!fit) return card;
  const notes = [];
  if (!fit.takesYourDegreeLevel) {
    card.dataset.otherLevel = "true";
    notes.push(h("p", { class: "other-level" }, `Not for ${label(state.student.degreeLevel)} students`));
  }
  if (fit.reasons.length) {
    notes.push(
      h(
        "p",
        { class: "fit-reasons" },
        h("span", { class: "fit-label" }, "Why: "),
        fit.reasons.join(" · "),
      ),
    );
  }
  card.querySelector(".card-head").after(...notes);
  return card;
}

// Where keyboard focus is inside a card, so that a card drawn anew keeps it (and keeps its
// "More about" open): a live change or a request sent must not drop focus to the page.
function focusInCard(card) {
  const active = document.activeElement;
  if (!card || !card.contains(active)) return null;
  return active.tagName === "SUMMARY" ? "summary" : ".actions button";
}

function restoreFocus(card, where) {
  const target = where && card ? card.querySelector(where) : null;
  if (target) target.focus();
}

function cardOf(mentorId) {
  return document.querySelector(`#results [data-mentor="${mentorId}"]:not([data-leaving])`);
}

function renderResults() {
  renderRequestLimitNote();
  renderRequestWindow();
  const focused = document.activeElement?.closest?.("#results [data-mentor]");
  const where = focusInCard(focused);
  const open = new Set(
    [...document.querySelectorAll("#results [data-mentor] details[open]")].map(
      (d) => d.closest("[data-mentor]").dataset.mentor,
    ),
  );
  replace($("#results"), state.results.map(mentorCard));
  for (const id of open) {
    const details = cardOf(id)?.querySelector("details");
    if (details) details.open = true;
  }
  if (focused) restoreFocus(cardOf(focused.dataset.mentor), where);
  renderCount();
  $("#results-more").hidden = !state.hasNext;
  const recommended = state.order === "FIT" && Boolean(state.student);
  replace($("#results-title"), recommended ? "Recommended for you" : "Mentors");
  $("#fit-note").hidden = !recommended;
}

// Above the list, outside the request dates: say when they were or will be.
function renderRequestWindow() {
  const note = $("#requests-closed");
  const dates = state.student && !isMatched() ? requestWindow() : { open: true };
  note.hidden = dates.open;
  if (!dates.open) {
    replace(note, h("strong", {}, dates.text), " You can look at the mentors, but not ask now.");
  }
}

// A search under way: the list it replaces is dimmed and busy until the answer comes.
function showSearching(searching) {
  const list = $("#results");
  list.setAttribute("aria-busy", String(searching));
  list.classList.toggle("is-searching", searching);
  if (searching) replace($("#results-count"), "Searching…");
}

function renderCount() {
  $("#results-empty").hidden = !state.searched || state.results.length > 0;
  if (!state.searched) {
    replace($("#results-count"), "Searching…");
    return;
  }
  replace(
    $("#results-count"),
    `${pluralise(state.totalCount, "mentor")} ${state.totalCount === 1 ? "matches" : "match"} your search`,
  );
}

function replaceCard(mentor) {
  const old = cardOf(mentor.id);
  if (!old) return;
  const where = focusInCard(old);
  const card = mentorCard(mentor);
  const details = card.querySelector("details");
  if (details) details.open = Boolean(old.querySelector("details[open]"));
  old.replaceWith(card);
  restoreFocus(card, where);
}

// A card about to leave held focus: it goes on to the next card, or to the list's heading.
function focusPastLeaving(card) {
  if (!card.contains(document.activeElement)) return;
  let next = card.nextElementSibling;
  while (next && next.dataset.leaving) next = next.nextElementSibling;
  const target = next ? next.querySelector(".actions button, summary") : null;
  (target || $("#results-title")).focus();
}

// ---- Live availability ----------------------------------------------------------------------

// The search and the live updates are put in order by the programme's event sequence: a search
// page reflects every event up to its `seq`, and each update is one event. For each mentor the
// newer wins, whichever arrives first: an update is kept until a search newer than it answers,
// and is applied again over an older one.
const liveState = {
  updates: new Map(), // mentor id -> the newest update this subscription brought
  shown: new Map(), // mentor id -> the seq of what the list shows of them
  read: 0, // the seq of the search the list comes from: what it shows of everyone else
};

function onAvailability(event) {
  const newest = liveState.updates.get(event.mentorId);
  if (newest && newest.seq >= event.seq) return;
  liveState.updates.set(event.mentorId, event);
  applyUpdate(event);
}

// A search answered (as of `seq`): updates it already reflects are done with, newer ones win.
function searched(nodes, seq, { more }) {
  if (!more) {
    liveState.read = seq;
    liveState.shown = new Map();
  }
  for (const mentor of nodes) liveState.shown.set(mentor.id, seq);
  for (const [id, update] of liveState.updates) {
    if (update.seq <= liveState.read) liveState.updates.delete(id);
    else applyUpdate(update, { again: true });
  }
}

function applyUpdate(event, { again = false } = {}) {
  const shown = liveState.shown.get(event.mentorId) ?? liveState.read;
  if (event.seq <= shown) return; // the list is as new already
  const index = state.results.findIndex((m) => m.id === event.mentorId);
  if (event.availability === "FULL" || event.availability === "HIDDEN") {
    liveState.shown.set(event.mentorId, event.seq);
    if (index < 0) return;
    const [gone] = state.results.splice(index, 1);
    state.totalCount = Math.max(0, state.totalCount - 1);
    const card = document.querySelector(`#results [data-mentor="${gone.id}"]`);
    const why = event.availability === "FULL" ? "is now full" : "is no longer listed";
    if (!again) announce(`${gone.displayName} ${why} and has left the list.`);
    if (card) {
      focusPastLeaving(card);
      card.classList.add("is-leaving");
      card.dataset.leaving = "true";
      setTimeout(() => card.remove(), 400);
    }
    renderCount();
    return;
  }
  if (index >= 0) {
    liveState.shown.set(event.mentorId, event.seq);
    const mentor = {
      ...state.results[index],
      ...(event.mentor || {}),
      availability: event.availability,
      capacity: event.capacity,
      remainingCapacity: event.remainingCapacity,
    };
    state.results[index] = mentor;
    const [before, after] = [state.results[index - 1], state.results[index + 1]];
    if ((before && comesBefore(mentor, before)) || (after && comesBefore(after, mentor))) {
      // Their profile changed how well they fit: they move to their place in the order.
      state.results.sort((a, b) => (comesBefore(a, b) ? -1 : 1));
      renderResults();
    } else {
      replaceCard(mentor);
    }
    if (event.previous !== event.availability && !again) {
      announce(`${mentor.displayName} is now ${label(event.availability).toLowerCase()}.`);
    }
    return;
  }
  // Newly listed and matching this search: show it if it falls inside the loaded range.
  const mentor = event.mentor;
  if (!mentor) {
    // Listed, but the update could not say who it is (the server failed to read the mentor):
    // the list is read afresh rather than left without them.
    liveSearch.refresh();
    return;
  }
  const last = state.results[state.results.length - 1];
  if (state.hasNext && last && comesBefore(last, mentor)) return; // "Show more" brings it
  liveState.shown.set(event.mentorId, event.seq);
  const at = state.results.findIndex((m) => comesBefore(mentor, m));
  state.results.splice(at < 0 ? state.results.length : at, 0, mentor);
  state.totalCount += 1;
  renderResults();
}

// ---- My request -----------------------------------------------------------------------------

function requestPhaseNote() {
  return `${state.programme.name}: ${requestWindow().text}`;
}

function myRequestCard(request, api) {
  const m = request.mentor;
  const lines = [`Sent ${formatDateTime(request.createdAt, tz())}`];
  if (request.status === "PENDING" && request.expiresAt) {
    lines.push(`lapses ${formatDateTime(request.expiresAt, tz())} if unanswered`);
  }
  const card = h(
    "div",
    { class: "profile-card", "data-request": request.id, "data-status": request.status },
    h(
      "div",
      { class: "card-head" },
      h("div", {}, h("h3", {}, m.displayName), h("p", { class: "headline" }, m.headline)),
      badge(request.status),
    ),
    request.message ? h("blockquote", { class: "message" }, request.message) : null,
    h("p", { class: "hint" }, lines.join(" · ")),
    request.reason ? h("p", {}, `Reason: ${request.reason}`) : null,
  );
  if (request.status === "ACCEPTED") {
    card.append(
      h(
        "p",
        { class: "contact" },
        m.erased
          ? MENTOR_ERASED
          : m.contactEmail
            ? [`Write to ${m.displayName}: `, h("a", { href: `mailto:${m.contactEmail}` }, m.contactEmail)]
            : "Your mentor's contact details are on their way to you by email.",
      ),
    );
  }
  if (request.status === "PENDING") {
    const withdraw = h("button", { class: "btn btn-danger", type: "button" }, "Withdraw request");
    withdraw.addEventListener("click", () =>
      busy(withdraw, async () => {
        try {
          const data = await api.request(WITHDRAW, { id: request.id });
          state.requests.set(request.id, data.withdrawRequest);
          render(api);
          alertBox("Request withdrawn. You can ask another mentor now.", { kind: "success" });
        } catch (error) {
          showError(error);
        }
      }),
    );
    card.append(h("div", { class: "actions" }, withdraw));
  }
  return card;
}

// An erased mentor has no name or address left to give: the match itself stays, anonymous.
const MENTOR_ERASED = "Your mentor erased their data; the match stays as an anonymous record.";

// A matched student came back for their mentor's name and email: shown first, and large.
function myMentor(request) {
  if (!request) {
    return h(
      "p",
      { class: "my-mentor" },
      h("strong", {}, "You have a mentor in this programme."),
      " Their contact details came to you by email.",
    );
  }
  const m = request.mentor;
  const first = m.displayName.split(" ")[0];
  return h(
    "div",
    { class: "my-mentor", "data-request": request.id, "data-status": request.status },
    h(
      "div",
      { class: "card-head" },
      h(
        "div",
        {},
        h("h2", { class: "my-mentor-name" }, m.displayName),
        h("p", { class: "headline" }, m.headline),
      ),
      badge("ACCEPTED", "Matched"),
    ),
    m.erased
      ? h("p", { class: "contact" }, MENTOR_ERASED)
      : m.contactEmail
        ? h(
            "p",
            { class: "contact my-mentor-email" },
            h("span", { class: "contact-label" }, "Email"),
            h("a", { href: `mailto:${m.contactEmail}` }, m.contactEmail),
          )
        : h("p", { class: "contact" }, "Their contact details are on their way to you by email."),
    h(
      "p",
      { class: "hint" },
      `Matched ${formatDateTime(request.decidedAt || request.createdAt, tz())}.`,
      m.erased ? null : ` Write to ${first} to agree on a first meeting: ${first} has your email too.`,
    ),
  );
}

function renderMine(api) {
  const matched = Boolean(state.student) && isMatched();
  replace($("#my-request-title"), matched ? "Your mentor" : "Your request");
  replace($("#programme-note"), matched ? state.programme.name : requestPhaseNote());
  const body = $("#my-request-body");
  renderProfile();
  if (!state.student) {
    replace(body, h("p", {}, "Tell us about your studies below, then choose a mentor."));
    return;
  }
  const all = [...state.requests.values()].sort(
    (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || localId(b.id) - localId(a.id),
  );
  const current = accepted() || pending()[0];
  const earlier = all.filter((r) => r !== current);
  const latest = earlier[0];
  let intro;
  if (matched) {
    intro = myMentor(accepted());
  } else if (current) {
    intro = h("p", {}, "Your request is waiting for the mentor's answer. You will see it here at once.");
  } else if (latest) {
    intro = h(
      "p",
      {},
      `Your request to ${latest.mentor.displayName} ended (${label(latest.status).toLowerCase()}). `,
      "You can ask another mentor now.",
    );
  } else {
    intro = h(
      "p",
      {},
      requestWindow().open
        ? "You have not asked anyone yet. Find a mentor below and send one request."
        : "You have not asked anyone. Requests can be sent only in the request dates.",
    );
  }
  replace(
    body,
    intro,
    current && !matched ? myRequestCard(current, api) : null,
    earlier.length
      ? h(
          "details",
          { class: "spaced" },
          h("summary", {}, `Earlier requests (${earlier.length})`),
          h(
            "ul",
            { class: "cards cards-one spaced" },
            earlier.map((r) => h("li", { class: "card" }, myRequestCard(r, api))),
          ),
        )
      : null,
  );
}

// Matched: the search gives way to a short explanation (one mentor per student per programme).
function renderSearchArea() {
  const closed = Boolean(state.student) && isMatched();
  const area = $("#search-area");
  if (closed) {
    if ($("#send-dialog").open) $("#send-dialog").close();
    // Focus inside a part that disappears would fall to the page's start: keep it near.
    if (!area.hidden && area.contains(document.activeElement)) $("#my-request-title").focus();
    replace(
      $("#search-closed-text"),
      `Each student has one mentor in ${state.programme.name}, so you cannot send another `,
      "request in this programme. If something is wrong with your match, please contact the ",
      "programme's coordinators.",
    );
  }
  area.hidden = closed;
  $("#search-closed").hidden = !closed;
  if (closed) liveSearch.stop();
  else liveSearch.start();
}

function render(api) {
  renderMine(api);
  renderSearchArea();
  renderResults();
  year?.show(Boolean(state.student) && isMatched(), state.programme.id);
}

const EVENT_TEXT = {
  ACCEPTED: [(n) => `${n} accepted your request! Their contact details are on this page.`, "success"],
  REJECTED: [(n, r) => `${n} declined your request${r ? `: “${r}”` : ""}. You can ask another mentor now.`, "info"],
  EXPIRED: [(n) => `Your request to ${n} lapsed without an answer. You can ask another mentor now.`, "info"],
  CLOSED_MENTOR_FULL: [(n) => `${n}'s places filled up, so your request closed. You can ask another mentor now.`, "info"],
};

// ---- Sending --------------------------------------------------------------------------------

function openSend(mentor) {
  state.sending = mentor;
  replace($("#send-title"), `Ask ${mentor.displayName} to mentor you`);
  replace($("#send-who"), `${mentor.headline}. You can have one request waiting at a time.`);
  replace($("#send-error"));
  $("#send-dialog").showModal();
  $("#send-message").focus();
}

function wireSendDialog(api) {
  const dialog = $("#send-dialog");
  $("#send-cancel").addEventListener("click", () => dialog.close());
  $("#send-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const mentor = state.sending;
    busy($("#send-confirm"), async () => {
      try {
        const data = await api.request(SEND, {
          mentorId: mentor.id,
          message: $("#send-message").value.trim(),
        });
        state.requests.set(data.sendRequest.id, data.sendRequest);
        $("#send-message").value = "";
        dialog.close();
        render(api);
        alertBox(`Request sent to ${mentor.displayName}. Their answer appears here at once.`, {
          kind: "success",
        });
        // Focus stays on the card the student asked from (its button now says "Request sent").
        restoreFocus(cardOf(mentor.id), ".actions button");
      } catch (error) {
        replace($("#send-error"), error.message);
      }
    });
  });
}

// ---- The student's profile -------------------------------------------------------------------

// First set-up: nothing is chosen for the student. Later: a summary, and the same form to edit
// it, where what cannot change now says why (the API's own sentence, `degreeLevelFixed`).
const SETUP_ERRORS = { degree_level: "#setup-degree-error", field: "#setup-field-error", languages: "#setup-languages-error" };

function renderProfile() {
  const student = state.student;
  const section = $("#profile-setup");
  section.hidden = false;
  const editing = !student || $("#profile-edit").getAttribute("aria-expanded") === "true";
  replace($("#setup-title"), student ? "Your studies" : "Tell us about your studies first");
  $("#setup-hint").hidden = Boolean(student) && !editing;
  $("#setup-form").hidden = !editing;
  $("#profile-edit").hidden = !student || editing;
  $("#setup-cancel").hidden = !student;
  replace($("#setup-save"), student ? "Save changes" : "Save and start looking");
  const summary = $("#profile-summary");
  summary.hidden = !student;
  if (student) {
    replace(
      summary,
      [
        `${label(student.degreeLevel)} student`,
        student.field ? student.field.name : null,
        `mentored in ${student.languages.map((l) => l.name).join(", ")}`,
        student.onExchange ? "on exchange" : null,
      ]
        .filter(Boolean)
        .join(" · "),
    );
  }
  const fixed = student ? student.degreeLevelFixed : null;
  for (const radio of document.querySelectorAll("#setup-degree input")) radio.disabled = Boolean(fixed);
  const why = $("#setup-degree-why");
  if (fixed) {
    // The reason stands next to the choice; a refusal that said the same need not stay too.
    replace($("#setup-degree-error"));
    for (const radio of document.querySelectorAll("#setup-degree input")) radio.removeAttribute("aria-invalid");
  }
  why.hidden = !fixed;
  replace(why, fixed ? `Your degree level cannot change now: ${fixed}.` : "");
}

// The form shows the profile as saved (nothing at all on first set-up).
function fillProfileForm() {
  const student = state.student;
  for (const radio of document.querySelectorAll("#setup-degree input")) {
    radio.checked = Boolean(student) && radio.value === student.degreeLevel;
  }
  $("#setup-field").value = student && student.field ? student.field.id : "";
  const codes = new Set(student ? student.languages.map((l) => l.code) : []);
  for (const box of document.querySelectorAll("#setup-languages-list input")) {
    box.checked = codes.has(box.value);
  }
  $("#setup-exchange").checked = Boolean(student && student.onExchange);
  showSetupErrors({});
}

// Each problem next to its control (and the control marked invalid); a summary above the
// buttons, announced; focus on the first control to mend.
function showSetupErrors(errors, summary = null) {
  const controls = {
    degree_level: [...document.querySelectorAll("#setup-degree input")],
    field: [$("#setup-field")],
    languages: [...document.querySelectorAll("#setup-languages-list input")],
  };
  for (const [key, selector] of Object.entries(SETUP_ERRORS)) {
    replace($(selector), errors[key] || "");
    for (const control of controls[key]) {
      if (errors[key]) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  }
  const problems = Object.keys(errors).filter((key) => key !== "form");
  replace(
    $("#setup-error"),
    errors.form ||
      summary ||
      (problems.length ? `Please ${problems.length === 1 ? "answer the question" : `answer the ${problems.length} questions`} marked below.` : ""),
  );
  const first = problems.map((key) => controls[key].find((c) => !c.disabled)).find(Boolean);
  if (first) first.focus();
}

function profileInput() {
  const degree = document.querySelector("#setup-degree input:checked");
  const languages = [...document.querySelectorAll("#setup-languages-list input:checked")].map(
    (i) => i.value,
  );
  const errors = {};
  if (!degree) errors.degree_level = "Choose your degree level.";
  if (!$("#setup-field").value) errors.field = "Choose your field of study.";
  if (!languages.length) errors.languages = "Choose at least one language.";
  const input = { field: $("#setup-field").value, languages, onExchange: $("#setup-exchange").checked };
  if (degree && !degree.disabled) input.degreeLevel = degree.value;
  return { input, errors };
}

function wireSetup(api, reload) {
  const edit = $("#profile-edit");
  const openEditor = (open) => {
    edit.setAttribute("aria-expanded", String(open));
    if (open) fillProfileForm();
    renderProfile();
  };
  edit.addEventListener("click", () => {
    openEditor(true);
    $("#setup-field").focus();
  });
  $("#setup-cancel").addEventListener("click", () => {
    openEditor(false);
    edit.focus();
  });
  $("#setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const first = !state.student;
    const { input, errors } = profileInput();
    if (Object.keys(errors).length) {
      showSetupErrors(errors);
      return;
    }
    await busy($("#setup-save"), async () => {
      try {
        const data = await api.request(SAVE_PROFILE, { input, programmeId: state.programme.id });
        state.student = data.updateStudentProfile;
        if (first) $("#filter-degree").value = state.student.degreeLevel;
        showSetupErrors({});
        openEditor(false);
        alertBox(first ? "Saved. Here are the mentors who fit you best." : "Your studies are saved.", {
          kind: "success",
        });
        await reload();
        // On to the recommendations after set-up; back to where the student was after an edit.
        (first ? $("#results-title") : edit).focus();
      } catch (error) {
        const field = error.errors?.[0]?.extensions?.field;
        const key = field === "field_id" ? "field" : field;
        if (key in SETUP_ERRORS) showSetupErrors({ [key]: error.message }, "Not saved.");
        else showSetupErrors({ form: error.message });
        if (key === "degree_level") refreshProfileOnly(api);
      }
    });
  });
}

// Refused because the profile changed meanwhile (a request sent from another tab): show why.
async function refreshProfileOnly(api) {
  try {
    const data = await api.request(MINE, { programmeId: state.programme.id });
    state.student = data.myStudentProfile;
    for (const radio of document.querySelectorAll("#setup-degree input")) {
      radio.checked = Boolean(state.student) && radio.value === state.student.degreeLevel;
    }
    renderProfile();
  } catch {
    // the error already shown says enough
  }
}

// ---- Wiring ---------------------------------------------------------------------------------

// On a phone the filters fold away behind a button, so the first mentor shows without
// scrolling past them; the button says how many are on.
function wireFiltersToggle() {
  const card = $("#filters-card");
  const toggle = $("#filters-toggle");
  const show = (open) => {
    card.dataset.collapsed = String(!open);
    toggle.setAttribute("aria-expanded", String(open));
    const on = Object.keys(currentFilter()).length;
    replace(toggle, `${open ? "Hide" : "Show"} filters${on ? ` (${on} on)` : ""}`);
  };
  toggle.addEventListener("click", () => show(card.dataset.collapsed === "true"));
  $("#filters").addEventListener("change", () => show(card.dataset.collapsed !== "true"));
  $("#filters").addEventListener("reset", () => setTimeout(() => show(card.dataset.collapsed !== "true"), 0));
  show(false);
}

async function main() {
  let wasLive = false;
  let catchUp = () => {};
  const session = await signIn("STUDENT", {
    onStatus: (status) => {
      if (status === "live" && wasLive) catchUp();
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return;
  const { api, live } = session;
  year = programmeYear({ session, role: "STUDENT", root: $("#programme-year") });
  const chosen = chosenProgramme(session.viewer);

  // Listening starts before the first read, so nothing falls between the two: what arrives
  // meanwhile is applied, in order, once the page has what it shows.
  let booted = false;
  const early = [];
  const onRequestEvent = ({ kind, request }) => {
    state.requests.set(request.id, request);
    render(api);
    const [text, tone] = EVENT_TEXT[kind] || [];
    if (text) {
      alertBox(text(request.mentor.displayName, request.reason), { kind: tone, timeout: 15000 });
    }
    if (kind === "ACCEPTED") refreshMine(); // the mentor's contact details, now shared
  };
  live.subscribe(
    REQUEST_EVENTS,
    { programmeId: chosen },
    {
      next: (data) => (booted ? onRequestEvent : (e) => early.push(e))(data.myRequestEvents),
      // A subscription that fails is explained in the page's status area (session.js).
      resync: () => refreshMine(),
    },
  );

  let boot;
  try {
    boot = await api.request(BOOT, { programmeId: chosen });
  } catch (error) {
    replace($("#my-request-body"), h("p", { class: "empty" }, error.message));
    loaded();
    return;
  }
  state.programme = boot.programme;
  showProgrammePicker(session.viewer, boot.programme);
  state.student = boot.myStudentProfile;
  state.requests = new Map(boot.myRequests.map((r) => [r.id, r]));
  fillSearchForm(boot.languages, fieldOptions(boot.fields));
  fillSetup(boot.languages, boot.fields);
  fillProfileForm();
  if (state.student) $("#filter-degree").value = state.student.degreeLevel;
  renderMine(api);
  wireSendDialog(api);
  booted = true;
  for (const event of early.splice(0)) onRequestEvent(event);

  const programmeId = state.programme.id;
  let unsubscribe = () => {};
  let subscribed = null; // the filter the live subscription follows
  const search = async ({ more = false, resubscribe = !more } = {}) => {
    const filter = currentFilter();
    const order = more ? state.order : currentOrder();
    const seq = ++state.searchSeq;
    if (!more) showSearching(true);
    // The same filter again keeps its subscription: updates flow on, ordered by seq.
    if (resubscribe && JSON.stringify(filter) !== subscribed) {
      subscribed = JSON.stringify(filter);
      unsubscribe();
      liveState.updates = new Map(); // another filter's may name mentors this one does not pick
      unsubscribe = live.subscribe(
        AVAILABILITY,
        { filter, programmeId },
        {
          next: (data) => onAvailability(data.mentorAvailabilityChanged),
          resync: () => search({ resubscribe: false }),
        },
      );
    }
    try {
      const data = await api.request(SEARCH, {
        filter,
        programmeId,
        after: more ? state.endCursor : null,
        orderBy: order,
      });
      if (seq !== state.searchSeq) return; // a newer search has started (and shows it)
      state.order = order;
      showSearching(false);
      const page = data.mentors;
      const nodes = page.edges.map((e) => e.node);
      state.results = more ? [...state.results, ...nodes] : nodes;
      state.totalCount = page.totalCount;
      state.hasNext = page.pageInfo.hasNextPage;
      state.endCursor = page.pageInfo.endCursor;
      state.searched = true;
      renderResults();
      searched(nodes, page.seq, { more });
    } catch (error) {
      if (seq === state.searchSeq) {
        showSearching(false);
        renderCount();
      }
      showError(error);
    }
  };
  let running = false;
  let firstSearch = Promise.resolve();
  liveSearch.start = () => {
    if (running) return;
    running = true;
    firstSearch = search();
  };
  liveSearch.refresh = () => {
    if (running) search({ resubscribe: false });
  };
  liveSearch.stop = () => {
    if (!running) return;
    running = false;
    unsubscribe();
    unsubscribe = () => {};
    subscribed = null;
    state.searchSeq += 1; // a search under way is dropped
  };
  async function refreshMine() {
    try {
      const programmeId = state.programme ? state.programme.id : chosen;
      const data = await api.request(MINE, { programmeId });
      state.student = data.myStudentProfile;
      state.requests = new Map(data.myRequests.map((r) => [r.id, r]));
      render(api);
    } catch (error) {
      if (error.code !== "NETWORK") showError(error);
    }
  }
  catchUp = () => {
    if (running) search({ resubscribe: false }); // the live socket subscribes again by itself
    refreshMine();
  };
  // A saved profile changes the student's own request state and how mentors fit them: both are
  // read again, and the search (with the student's degree level, after set-up) follows it live.
  wireSetup(api, async () => {
    await refreshMine();
    if (running) await search();
  });

  wireSearchForm({
    search: () => search(),
    reset: () => {
      if (state.student) $("#filter-degree").value = state.student.degreeLevel;
    },
  });
  $("#results-more").addEventListener("click", () => busy($("#results-more"), () => search({ more: true })));
  wireFiltersToggle();

  render(api); // starts the search, unless the student is matched
  await firstSearch;
  loaded();
}

main();
