// The student's mentor search: filters, profile cards, one request at a time. Live: a mentor who
// fills up leaves the list, one who becomes busy says so, and the student's own request changes
// state the moment the mentor decides. Once matched, the mentor's contact takes the search's
// place (one mentor per student in a programme).

import { currentFilter, fillSearchForm, wireSearchForm } from "./search-form.js";
import { signIn } from "./session.js";
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

const REQUEST_FIELDS = `
  id status message reason createdAt decidedAt expiresAt
  mentor { id displayName headline availability contactEmail }`;

const MENTOR_FIELDS = `
  id displayName headline city location remoteOk hasDoctorate workingLifeYears
  capacity remainingCapacity availability degreeLevels
  languages { code name } fields { id name }
  educationalBackground professionalBackground careerExperience`;

const STUDENT_FIELDS = `id displayName degreeLevel matched field { id name } languages { code name }`;

const BOOT = `query Browse {
  programme { id name timezone studentPendingLimit phases { phase opensOn closesOn isOpen } }
  myStudentProfile { ${STUDENT_FIELDS} }
  myRequests { ${REQUEST_FIELDS} }
  languages { code name }
  fields { id name school }
}`;
const MINE = `query Mine {
  myStudentProfile { ${STUDENT_FIELDS} }
  myRequests { ${REQUEST_FIELDS} }
}`;
const SEARCH = `query Search($filter: MentorFilter, $after: String, $programmeId: ID) {
  mentors(filter: $filter, first: 24, after: $after, programmeId: $programmeId) {
    totalCount
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
const REQUEST_EVENTS = `subscription MyRequestEvents {
  myRequestEvents { seq kind at request { ${REQUEST_FIELDS} } } }`;
const SEND = `mutation Send($mentorId: ID!, $message: String!) {
  sendRequest(mentorId: $mentorId, message: $message) { ${REQUEST_FIELDS} } }`;
const WITHDRAW = `mutation Withdraw($id: ID!) {
  withdrawRequest(requestId: $id) { ${REQUEST_FIELDS} } }`;
const SAVE_PROFILE = `mutation SaveProfile($input: StudentProfileInput!) {
  updateStudentProfile(input: $input) { ${STUDENT_FIELDS} } }`;

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
};

const tz = () => state.programme.timezone;
const pending = () => [...state.requests.values()].filter((r) => r.status === "PENDING");
const accepted = () => [...state.requests.values()].find((r) => r.status === "ACCEPTED");
// Matched students do not search again in this programme (one mentor each).
const isMatched = () => Boolean(accepted() || (state.student && state.student.matched));

// The search and its live subscription, started and stopped as the student becomes matched
// or not (set up in main()).
const liveSearch = { start: () => {}, stop: () => {} };

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
  $("#setup-languages").append(
    ...languages.map((l) =>
      h("label", {}, h("input", { type: "checkbox", value: l.code, name: "language" }), l.name),
    ),
  );
}

// ---- Mentor cards ---------------------------------------------------------------------------

const atRequestLimit = () => pending().length >= state.programme.studentPendingLimit;

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
  if (mentor.availability === "BUSY") {
    const why = "Others are waiting for this mentor's answer.";
    return unavailable("Busy right now", null, why, whyId);
  }
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

function mentorCard(mentor) {
  const place = mentor.location === "ABROAD" ? "abroad" : "in Finland";
  const where = [mentor.city ? `${mentor.city}, ${place}` : label(mentor.location)];
  if (mentor.remoteOk) where.push("remote meetings OK");
  const experience = [`${mentor.workingLifeYears} years of working life`];
  if (mentor.hasDoctorate) experience.push("holds a doctorate");
  const titleId = `mentor-${localId(mentor.id)}`;
  return h(
    "li",
    {
      class: "card profile-card",
      "data-mentor": mentor.id,
      "data-availability": mentor.availability,
      "aria-labelledby": titleId,
    },
    h(
      "div",
      { class: "card-head" },
      h(
        "div",
        {},
        h("h3", { id: titleId }, mentor.displayName),
        h("p", { class: "headline" }, mentor.headline),
      ),
      badge(mentor.availability),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Languages"),
      h("dd", {}, mentor.languages.map((l) => l.name).join(", ")),
      h("dt", {}, "Fields"),
      h("dd", {}, mentor.fields.map((f) => f.name).join(", ")),
      h("dt", {}, "Takes"),
      h("dd", {}, mentor.degreeLevels.map((d) => `${label(d)} students`).join(", ")),
      h("dt", {}, "Lives"),
      h("dd", {}, where.join(" · ")),
      h("dt", {}, "Experience"),
      h("dd", {}, experience.join(", ")),
      h("dt", {}, "Places"),
      h(
        "dd",
        { class: "places" },
        `${mentor.remainingCapacity} of ${pluralise(mentor.capacity, "place")} left`,
      ),
    ),
    h(
      "details",
      {},
      h("summary", {}, `More about ${mentor.displayName.split(" ")[0]}`),
      h("h4", {}, "Education"),
      h("p", {}, mentor.educationalBackground || "—"),
      h("h4", {}, "Work"),
      h("p", {}, mentor.professionalBackground || "—"),
      h("h4", {}, "Career"),
      h("p", {}, mentor.careerExperience || "—"),
    ),
    h("div", { class: "actions" }, requestButton(mentor)),
  );
}

function renderResults() {
  renderRequestLimitNote();
  replace($("#results"), state.results.map(mentorCard));
  renderCount();
  $("#results-more").hidden = !state.hasNext;
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
  const old = document.querySelector(`#results [data-mentor="${mentor.id}"]`);
  if (old) old.replaceWith(mentorCard(mentor));
}

// ---- Live availability ----------------------------------------------------------------------

function onAvailability(event) {
  const index = state.results.findIndex((m) => m.id === event.mentorId);
  if (event.availability === "FULL" || event.availability === "HIDDEN") {
    if (index < 0) return;
    const [gone] = state.results.splice(index, 1);
    state.totalCount = Math.max(0, state.totalCount - 1);
    const card = document.querySelector(`#results [data-mentor="${gone.id}"]`);
    const why = event.availability === "FULL" ? "is now full" : "is no longer listed";
    announce(`${gone.displayName} ${why} and has left the list.`);
    if (card) {
      card.classList.add("is-leaving");
      card.dataset.leaving = "true";
      setTimeout(() => card.remove(), 400);
    }
    renderCount();
    return;
  }
  if (index >= 0) {
    const mentor = {
      ...state.results[index],
      ...(event.mentor || {}),
      availability: event.availability,
      capacity: event.capacity,
      remainingCapacity: event.remainingCapacity,
    };
    state.results[index] = mentor;
    replaceCard(mentor);
    if (event.previous !== event.availability) {
      announce(`${mentor.displayName} is now ${label(event.availability).toLowerCase()}.`);
    }
    return;
  }
  // Newly listed and matching this search: show it if it falls inside the loaded range.
  const mentor = event.mentor;
  if (!mentor) return;
  const id = localId(mentor.id);
  const last = state.results.length ? localId(state.results[state.results.length - 1].id) : 0;
  if (state.hasNext && id > last) return; // "Show more" brings it
  const at = state.results.findIndex((m) => localId(m.id) > id);
  state.results.splice(at < 0 ? state.results.length : at, 0, mentor);
  state.totalCount += 1;
  renderResults();
}

// ---- My request -----------------------------------------------------------------------------

function requestPhaseNote() {
  const phase = state.programme.phases.find((p) => p.phase === "STUDENT_REQUESTS");
  if (!phase) return `${state.programme.name}: request dates to be announced.`;
  const until = formatDate(phase.closesOn, { year: "numeric" });
  return phase.isOpen
    ? `${state.programme.name}: requests are open until ${until}.`
    : `${state.programme.name}: requests are open ${formatDate(phase.opensOn)} – ${until}.`;
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
        m.contactEmail
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
    m.contactEmail
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
      `Matched ${formatDateTime(request.decidedAt || request.createdAt, tz())}. `,
      `Write to ${first} to agree on a first meeting: ${first} has your email too.`,
    ),
  );
}

function renderMine(api) {
  const matched = Boolean(state.student) && isMatched();
  replace($("#my-request-title"), matched ? "Your mentor" : "Your request");
  replace($("#programme-note"), matched ? state.programme.name : requestPhaseNote());
  const body = $("#my-request-body");
  $("#profile-setup").hidden = Boolean(state.student);
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
    intro = h("p", {}, "You have not asked anyone yet. Find a mentor below and send one request.");
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
        $("#my-request").scrollIntoView({ block: "start" });
      } catch (error) {
        replace($("#send-error"), error.message);
      }
    });
  });
}

function wireSetup(api, reload) {
  $("#setup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const languages = [...document.querySelectorAll("#setup-languages input:checked")].map(
      (i) => i.value,
    );
    try {
      const data = await api.request(SAVE_PROFILE, {
        input: {
          degreeLevel: $("#setup-degree").value,
          field: $("#setup-field").value,
          languages,
        },
      });
      state.student = data.updateStudentProfile;
      $("#filter-degree").value = state.student.degreeLevel;
      await reload();
    } catch (error) {
      replace($("#setup-error"), error.message);
    }
  });
}

// ---- Wiring ---------------------------------------------------------------------------------

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
    {},
    {
      next: (data) => (booted ? onRequestEvent : (e) => early.push(e))(data.myRequestEvents),
      // A subscription that fails is explained in the page's status area (session.js).
      resync: () => refreshMine(),
    },
  );

  let boot;
  try {
    boot = await api.request(BOOT);
  } catch (error) {
    replace($("#my-request-body"), h("p", { class: "empty" }, error.message));
    loaded();
    return;
  }
  state.programme = boot.programme;
  state.student = boot.myStudentProfile;
  state.requests = new Map(boot.myRequests.map((r) => [r.id, r]));
  fillSearchForm(boot.languages, fieldOptions(boot.fields));
  fillSetup(boot.languages, boot.fields);
  if (state.student) $("#filter-degree").value = state.student.degreeLevel;
  renderMine(api);
  wireSendDialog(api);
  booted = true;
  for (const event of early.splice(0)) onRequestEvent(event);

  const programmeId = state.programme.id;
  let unsubscribe = () => {};
  let searching = false;
  let queued = [];
  const receive = (event) => (searching ? queued.push(event) : onAvailability(event));
  const search = async ({ more = false, resubscribe = !more } = {}) => {
    const filter = currentFilter();
    const seq = ++state.searchSeq;
    if (resubscribe) {
      unsubscribe();
      queued = [];
      unsubscribe = live.subscribe(
        AVAILABILITY,
        { filter, programmeId },
        {
          next: (data) => receive(data.mentorAvailabilityChanged),
          resync: () => search({ resubscribe: false }),
        },
      );
    }
    searching = true;
    try {
      const data = await api.request(SEARCH, {
        filter,
        programmeId,
        after: more ? state.endCursor : null,
      });
      if (seq !== state.searchSeq) return; // a newer search has started
      const page = data.mentors;
      const nodes = page.edges.map((e) => e.node);
      state.results = more ? [...state.results, ...nodes] : nodes;
      state.totalCount = page.totalCount;
      state.hasNext = page.pageInfo.hasNextPage;
      state.endCursor = page.pageInfo.endCursor;
      state.searched = true;
      renderResults();
    } catch (error) {
      showError(error);
    } finally {
      if (seq === state.searchSeq) {
        searching = false;
        for (const event of queued.splice(0)) onAvailability(event);
      }
    }
  };
  let running = false;
  let firstSearch = Promise.resolve();
  liveSearch.start = () => {
    if (running) return;
    running = true;
    firstSearch = search();
  };
  liveSearch.stop = () => {
    if (!running) return;
    running = false;
    unsubscribe();
    unsubscribe = () => {};
    state.searchSeq += 1; // a search under way is dropped
  };
  async function refreshMine() {
    try {
      const data = await api.request(MINE);
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
  wireSetup(api, catchUp);

  wireSearchForm({
    search: () => search(),
    reset: () => {
      if (state.student) $("#filter-degree").value = state.student.degreeLevel;
    },
  });
  $("#results-more").addEventListener("click", () => search({ more: true }));

  render(api); // starts the search, unless the student is matched
  await firstSearch;
  loaded();
}

main();
