// The coordinator dashboard: the programme's phases, live counters, supply against demand,
// pending requests by age and a live event feed. Everything comes from the GraphQL API; the
// live parts from subscriptions (no polling). After a drop the event feed resumes after the last
// sequence number it showed, so nothing is missed and nothing shown twice.

import { SupplyDemandChart } from "./charts.js";
import { renderPicker, todayIn } from "./console-kit.js";
import { showConsoleNav } from "./console-nav.js";
import { download, slug, toCsv } from "./csv.js";
import { signIn } from "./session.js";
import {
  $,
  alertBox,
  badge,
  busy,
  debounce,
  flash,
  formatAge,
  formatDate,
  formatDateTime,
  formatTime,
  h,
  label,
  loaded,
  localId,
  pluralise,
  replace,
  showError,
} from "./ui.js";

const PROGRAMME = `
  query Programme($id: ID) {
    programme(id: $id) {
      id name timezone currentPhases
      phases { phase opensOn closesOn isOpen }
    }
    programmes { id name }
  }`;

const STATS_FIELDS = `
  programmeId seq asOf
  mentors { available busy full hidden }
  students { total unmatched pending matched }
  requests { pending oldestPendingAt oldestPendingAgeSeconds accepted rejected expired }
  matches
  byField { key name mentorSlotsLeft studentsLooking }
  byLanguage { key name mentorSlotsLeft studentsLooking }`;

const STATS_LIVE = `subscription LiveStats($programmeId: ID) {
  programmeStats(programmeId: $programmeId) { ${STATS_FIELDS} } }`;
const EVENTS_LIVE = `subscription Events($programmeId: ID, $after: Int) {
  programmeEvents(programmeId: $programmeId, after: $after) { seq kind at summary payload } }`;

// The bars of the pending-by-age chart: each counts the requests waiting longer than its hours
// (PENDING's `over<hours>`), and opens them in the console's request list (the same choices as
// its "Sent" filter).
const AGES = [
  { hours: 24, label: "More than a day" },
  { hours: 48, label: "More than 2 days" },
  { hours: 72, label: "More than 3 days" },
  { hours: 168, label: "More than a week" },
];

const PENDING = `
  query Pending($programmeId: ID, $first: Int!) {
    requests(programmeId: $programmeId, filter: { statuses: [PENDING] }, first: $first) {
      totalCount
      pageInfo { hasNextPage }
      edges { node {
        id createdAt expiresAt
        student { id displayName degreeLevel field { name } }
        mentor { id displayName availability }
      } }
    }
    over24: requests(programmeId: $programmeId,
      filter: { statuses: [PENDING], olderThanHours: 24 }, first: 1) { totalCount }
    over48: requests(programmeId: $programmeId,
      filter: { statuses: [PENDING], olderThanHours: 48 }, first: 1) { totalCount }
    over72: requests(programmeId: $programmeId,
      filter: { statuses: [PENDING], olderThanHours: 72 }, first: 1) { totalCount }
    over168: requests(programmeId: $programmeId,
      filter: { statuses: [PENDING], olderThanHours: 168 }, first: 1) { totalCount }
  }`;

const MATCHES_PAGE = `
  query MatchesPage($programmeId: ID, $after: String) {
    matches(programmeId: $programmeId, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        createdAt
        mentor { displayName headline }
        student { displayName degreeLevel field { name school } }
      } }
    }
  }`;

const UNMATCHED_PAGE = `
  query UnmatchedPage($programmeId: ID, $after: String) {
    unmatchedStudents(programmeId: $programmeId, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node {
        displayName degreeLevel international field { name school } languages { name }
      } }
    }
  }`;

const FEED_LIMIT = 100;
const RECENT_EVENTS = 30; // shown from the log when the page opens
const PAGE = 10;

const KINDS = {
  REQUEST_SENT: ["Request", "kind-wait"],
  REQUEST_ACCEPTED: ["Match", "kind-good"],
  REQUEST_REJECTED: ["Declined", "kind-bad"],
  REQUEST_WITHDRAWN: ["Withdrawn", "kind-info"],
  REQUEST_EXPIRED: ["Expired", "kind-bad"],
  REQUEST_CLOSED_MENTOR_FULL: ["Closed", "kind-info"],
  MENTOR_AVAILABILITY_CHANGED: ["Availability", "kind-info"],
  MENTOR_PROFILE_CHANGED: ["Mentor profile", "kind-info"],
  STUDENT_PROFILE_CHANGED: ["Student profile", "kind-info"],
  PROGRAMME_CHANGED: ["Programme", "kind-info"],
  REQUEST_REMINDED: ["Reminder", "kind-wait"],
  BRIEFING_CHANGED: ["Briefing", "kind-info"],
  SURVEY_CHANGED: ["Survey", "kind-info"],
  SURVEY_ANSWERED: ["Survey answer", "kind-good"],
  MEETING_RECORDED: ["Meeting", "kind-good"],
  MATCH_NUDGED: ["Nudge", "kind-wait"],
  MENTOR_HIDDEN: ["Hidden", "kind-bad"],
  MENTOR_UNHIDDEN: ["Hold lifted", "kind-info"],
  PERSON_ERASED: ["Erased", "kind-info"],
  PROGRAMME_PURGED: ["Purged", "kind-info"],
};

// The feed's filter (#feed-kind): which kinds of event each choice shows.
const FEED_FILTERS = {
  requests: (kind) => kind.startsWith("REQUEST_"),
  availability: (kind) => kind === "MENTOR_AVAILABILITY_CHANGED",
  profiles: (kind) =>
    kind.endsWith("_PROFILE_CHANGED") ||
    ["MENTOR_HIDDEN", "MENTOR_UNHIDDEN", "PERSON_ERASED"].includes(kind),
  briefings: (kind) => kind === "BRIEFING_CHANGED",
  surveys: (kind) => kind.startsWith("SURVEY_"),
  meetings: (kind) => kind === "MEETING_RECORDED" || kind === "MATCH_NUDGED",
  programme: (kind) => kind.startsWith("PROGRAMME_"),
};

const state = {
  programme: null,
  stats: null,
  serverOffset: 0, // server clock minus browser clock, from the stats' asOf
  lastSeq: null,
  resyncedAt: null,
  pendingSize: PAGE,
  pending: [],
  feedFilter: "",
};

const serverNow = () => Date.now() + state.serverOffset;

function ageSeconds(iso) {
  return (serverNow() - Date.parse(iso)) / 1000;
}

// ---- Programme and phases -------------------------------------------------------------------

function renderProgramme(programme, programmes) {
  state.programme = programme;
  document.title = `${programme.name} · Mentori`;
  replace($("#programme-name"), programme.name);
  replace(
    $("#programme-phase"),
    programme.currentPhases.length
      ? programme.currentPhases.map((p) => badge("PUBLISHED", `Open now: ${label(p)}`))
      : badge("HIDDEN", "Between phases"),
  );
  const today = todayIn(programme.timezone, serverNow());
  replace(
    $("#phases"),
    programme.phases.map((p) =>
      h(
        "li",
        {
          class: `phase${p.isOpen ? " is-open" : ""}${p.closesOn < today ? " is-past" : ""}`,
          "aria-current": p.isOpen ? "step" : null,
        },
        h("div", { class: "phase-name" }, label(p.phase)),
        h(
          "div",
          { class: "phase-dates" },
          `${formatDate(p.opensOn)} – ${formatDate(p.closesOn, { year: "numeric" })}`,
          p.isOpen ? h("span", { class: "visually-hidden" }, " (open now)") : null,
        ),
      ),
    ),
  );
  renderPicker(programme, programmes);
}

// ---- Counters and charts --------------------------------------------------------------------

function pick(object, path) {
  return path.split(".").reduce((value, key) => (value == null ? value : value[key]), object);
}

function renderStats(stats, charts) {
  const previous = state.stats;
  state.stats = stats;
  state.serverOffset = Date.parse(stats.asOf) - Date.now();
  for (const cell of document.querySelectorAll("[data-stat]")) {
    const value = pick(stats, cell.dataset.stat);
    const text = value == null ? "–" : String(value);
    if (cell.textContent !== text) {
      cell.textContent = text;
      if (previous) flash(cell.parentElement);
    }
  }
  renderTicking();
  const { students } = stats;
  replace(
    $("#match-rate"),
    students.total
      ? `${students.matched} of ${pluralise(students.total, "student")} matched (${Math.round(
          (100 * students.matched) / students.total,
        )} %)`
      : "No students yet.",
  );
  charts.fields.update(stats.byField);
  charts.languages.update(stats.byLanguage);
}

// The parts that age with time: ticked locally between server messages, never fetched.
function renderTicking() {
  const stats = state.stats;
  if (stats && state.programme) {
    replace($("#stats-as-of"), `Updated ${formatTime(stats.asOf, state.programme.timezone)}`);
    const oldest = stats.requests.oldestPendingAt;
    replace(
      $("#oldest-pending"),
      stats.requests.pending
        ? [
            "The oldest has waited ",
            h(
              "strong",
              {},
              formatAge(oldest ? ageSeconds(oldest) : stats.requests.oldestPendingAgeSeconds),
            ),
            ".",
          ]
        : "None waiting.",
    );
  }
  for (const cell of document.querySelectorAll("#pending td[data-since]")) {
    const age = ageSeconds(cell.dataset.since);
    cell.textContent = formatAge(age);
    cell.className = `num ${age > 48 * 3600 ? "age-late" : age > 24 * 3600 ? "age-warn" : ""}`;
  }
}

// ---- Pending requests -----------------------------------------------------------------------

function renderPending(connection) {
  const tz = state.programme.timezone;
  const rows = connection.edges
    .map((e) => e.node)
    .sort(
      (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || localId(a.id) - localId(b.id),
    );
  state.pending = rows;
  $("#pending-all").search = `?${new URLSearchParams({ programme: state.programme.id, status: "PENDING" })}`;
  replace(
    $("#pending tbody"),
    rows.map((r) =>
      h(
        "tr",
        { "data-request": r.id, "data-created": r.createdAt },
        h(
          "td",
          { "data-label": "Student" },
          r.student.displayName,
          h(
            "span",
            { class: "sub" },
            [label(r.student.degreeLevel), r.student.field && r.student.field.name]
              .filter(Boolean)
              .join(" · "),
          ),
        ),
        h("td", { "data-label": "Mentor" }, r.mentor.displayName, " ", badge(r.mentor.availability)),
        h("td", { "data-label": "Sent" }, formatDateTime(r.createdAt, tz)),
        h("td", { class: "num", "data-label": "Waiting", "data-since": r.createdAt }, ""),
        h(
          "td",
          { "data-label": "Lapses" },
          r.expiresAt ? formatDateTime(r.expiresAt, tz) : "Never",
          // One click from a request that waits too long to stepping in (console-requests.js).
          h(
            "a",
            { class: "sub", href: `/dashboard/requests?${new URLSearchParams({ programme: state.programme.id, status: "PENDING", request: r.id })}` },
            "Step in",
            h("span", { class: "visually-hidden" }, ` on ${r.student.displayName}'s request`),
          ),
        ),
      ),
    ),
  );
  $("#pending-empty").hidden = rows.length > 0;
  $("#pending").hidden = rows.length === 0;
  replace(
    $("#pending-count"),
    connection.totalCount > rows.length
      ? `The ${rows.length} longest waiting of ${connection.totalCount}`
      : pluralise(connection.totalCount, "request"),
  );
  $("#pending-more").hidden = !connection.pageInfo.hasNextPage || state.pendingSize >= 100;
  renderTicking();
}

function renderAges(data) {
  const total = data.requests.totalCount;
  const link = (params) =>
    `/dashboard/requests?${new URLSearchParams({ programme: state.programme.id, status: "PENDING", ...params })}`;
  const bars = [
    { label: "All pending", count: total, href: link({}) },
    ...AGES.map(({ hours, label: text }) => ({
      label: text,
      count: data[`over${hours}`].totalCount,
      href: link({ age: String(hours) }),
    })),
  ];
  replace(
    $("#pending-ages-bars"),
    bars.map((bar) => {
      const fill = h("span", { class: "age-bar" });
      fill.style.width = `${total ? (100 * bar.count) / total : 0}%`;
      return h(
        "li",
        {},
        h(
          "a",
          { href: bar.href },
          h("span", { class: "age-label" }, bar.label, h("span", { class: "visually-hidden" }, ": ")),
          h("span", { class: "age-track", "aria-hidden": "true" }, fill),
          h("span", { class: "age-count" }, String(bar.count), h("span", { class: "visually-hidden" }, " waiting")),
        ),
      );
    }),
  );
  $("#pending-ages").hidden = total === 0;
}

// ---- Event feed -----------------------------------------------------------------------------

const AVAILABILITY_KINDS = {
  AVAILABLE: ["Available", "kind-good"],
  BUSY: ["Busy", "kind-wait"],
  FULL: ["Full", "kind-info"],
  HIDDEN: ["Hidden", "kind-info"],
};

function feedItem(event, { fresh }) {
  const availability = event.payload && event.payload.availability;
  const [kindText, kindClass] =
    (event.kind === "MENTOR_AVAILABILITY_CHANGED" && AVAILABILITY_KINDS[availability]) ||
    KINDS[event.kind] || [event.kind.replace(/_/g, " ").toLowerCase(), "kind-info"];
  return h(
    "li",
    { "data-seq": event.seq, "data-kind": event.kind, class: fresh ? "is-new" : null },
    h("time", { datetime: event.at }, formatTime(event.at, state.programme.timezone)),
    h("span", { class: `kind ${kindClass}` }, kindText),
    h("span", { class: "summary" }, event.summary),
  );
}

function shownInFeed(kind) {
  const wanted = FEED_FILTERS[state.feedFilter];
  return !wanted || wanted(kind);
}

function renderFeedEmpty() {
  const feed = $("#feed");
  const shown = [...feed.children].some((item) => !item.hidden);
  replace(
    $("#feed-empty"),
    feed.children.length ? "No event of this kind among the latest." : "Nothing has happened yet.",
  );
  $("#feed-empty").hidden = shown;
}

function addToFeed(event, { fresh }) {
  const feed = $("#feed");
  const item = feedItem(event, { fresh });
  item.hidden = !shownInFeed(event.kind);
  feed.prepend(item);
  while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
  renderFeedEmpty();
}

function filterFeed(choice) {
  state.feedFilter = choice;
  for (const item of $("#feed").children) item.hidden = !shownInFeed(item.dataset.kind);
  renderFeedEmpty();
}

// ---- CSV exports ----------------------------------------------------------------------------

async function everyPage(api, query, key) {
  const nodes = [];
  let after = null;
  for (;;) {
    const page = (await api.request(query, { programmeId: state.programme.id, after }))[key];
    nodes.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

function fileName(what) {
  return `${slug(state.programme.name)}-${what}-${todayIn(state.programme.timezone, serverNow())}.csv`;
}

async function exportMatches(api) {
  const tz = state.programme.timezone;
  const matches = await everyPage(api, MATCHES_PAGE, "matches");
  const rows = matches.map((m) => [
    formatDateTime(m.createdAt, tz, { weekday: undefined, year: "numeric" }),
    m.mentor.displayName,
    m.mentor.headline,
    m.student.displayName,
    label(m.student.degreeLevel),
    m.student.field ? m.student.field.name : "",
    m.student.field ? m.student.field.school : "",
  ]);
  download(
    fileName("matches"),
    toCsv(
      ["Matched", "Mentor", "Mentor's headline", "Student", "Degree level", "Field", "School"],
      rows,
    ),
  );
  alertBox(`${pluralise(rows.length, "match", "matches")} exported.`, { kind: "success" });
}

async function exportUnmatched(api) {
  const students = await everyPage(api, UNMATCHED_PAGE, "unmatchedStudents");
  const rows = students.map((s) => [
    s.displayName,
    label(s.degreeLevel),
    s.field ? s.field.name : "",
    s.field ? s.field.school : "",
    s.languages.map((l) => l.name).join("; "),
    s.international ? "yes" : "no",
  ]);
  download(
    fileName("unmatched-students"),
    toCsv(["Student", "Degree level", "Field", "School", "Languages", "International"], rows),
  );
  alertBox(`${pluralise(rows.length, "unmatched student")} exported.`, { kind: "success" });
}

// ---- Wiring ---------------------------------------------------------------------------------

async function main() {
  let wasLive = false;
  let refreshAll = () => {};
  const session = await signIn("COORDINATOR", {
    onStatus: (status) => {
      // Back from a drop: the feed replays what it missed; the lists are simply read again.
      if (status === "live" && wasLive) refreshAll();
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return;
  showConsoleNav();
  const { api, live } = session;
  const charts = {
    fields: new SupplyDemandChart($("#chart-fields"), { noun: "field" }),
    languages: new SupplyDemandChart($("#chart-languages"), { noun: "language" }),
  };

  const wanted = new URLSearchParams(location.search).get("programme");
  let boot;
  try {
    boot = await api.request(PROGRAMME, { id: wanted });
  } catch (error) {
    if (!wanted && error.code === "NOT_FOUND") {
      // The very first visit: the way to start is one link away.
      live.ensureConnected();
      replace($("#programme-name"), "No programme yet");
      replace(
        $("#programme-phase"),
        h("a", { href: "/dashboard/programmes" }, "Start the first programme under Programmes"),
      );
    } else {
      replace($("#programme-name"), "No programme to show");
      showError(error);
    }
    loaded();
    return;
  }
  renderProgramme(boot.programme, boot.programmes);
  const programmeId = boot.programme.id;

  const refreshProgramme = async () => {
    try {
      const data = await api.request(PROGRAMME, { id: programmeId });
      renderProgramme(data.programme, data.programmes);
    } catch (error) {
      showError(error);
    }
  };
  // The page is loaded once it shows both the counters and the pending requests.
  let missing = 2;
  const firstView = () => {
    missing -= 1;
    if (missing === 0) loaded();
  };
  let pendingShown = false;
  const refreshPending = debounce(async () => {
    try {
      const data = await api.request(PENDING, { programmeId, first: state.pendingSize });
      renderPending(data.requests);
      renderAges(data);
      if (!pendingShown) {
        pendingShown = true;
        firstView();
      }
    } catch (error) {
      if (error.code !== "NETWORK") showError(error);
    }
  }, 150);
  refreshAll = () => {
    refreshPending();
    refreshProgramme();
  };

  $("#feed-kind").addEventListener("change", (event) => filterFeed(event.target.value));
  $("#pending-more").addEventListener("click", () => {
    state.pendingSize = Math.min(100, state.pendingSize + PAGE);
    refreshPending();
  });
  for (const [id, action] of [
    ["#export-matches", exportMatches],
    ["#export-unmatched", exportUnmatched],
  ]) {
    const button = $(id);
    button.addEventListener("click", () =>
      busy(button, () => action(api).catch((error) => showError(error))),
    );
  }

  refreshPending();

  // The counters' first message comes at once and says where the event log stands: the feed
  // starts a little before that point, to show what happened just before the page opened.
  let unsubscribeEvents = null;
  live.subscribe(
    STATS_LIVE,
    { programmeId },
    {
      next: (data) => {
        renderStats(data.programmeStats, charts);
        if (unsubscribeEvents === null) {
          firstView();
          state.lastSeq = Math.max(0, data.programmeStats.seq - RECENT_EVENTS);
          subscribeEvents();
        }
      },
      // Explained in the page's status area (session.js); the rest of the page still loads.
      error: () => {
        if (unsubscribeEvents === null) firstView();
      },
    },
  );

  let initial = true;
  const onEvent = (event) => {
    if (event.seq <= state.lastSeq) return; // seen already
    if (event.seq > state.lastSeq + 1 && state.resyncedAt !== state.lastSeq) {
      // A hole in the sequence: ask again from the last event shown, once.
      state.resyncedAt = state.lastSeq;
      unsubscribeEvents();
      subscribeEvents();
      return;
    }
    state.lastSeq = event.seq;
    const fresh = !initial || Date.parse(event.at) > serverNow() - 5000;
    addToFeed(event, { fresh });
    if (event.kind.startsWith("REQUEST_") || event.kind === "MENTOR_AVAILABILITY_CHANGED") {
      refreshPending();
    }
    if (event.kind === "PROGRAMME_CHANGED") refreshProgramme();
  };
  const subscribeEvents = () => {
    unsubscribeEvents = live.subscribe(
      EVENTS_LIVE,
      () => ({ programmeId, after: state.lastSeq }),
      {
        next: (data) => onEvent(data.programmeEvents),
        resync: () => refreshAll(),
      },
    );
    // The replayed history lands first; after it, new items are announced to screen readers.
    setTimeout(() => {
      initial = false;
      $("#feed").setAttribute("aria-live", "polite");
    }, 1500);
  };

  setInterval(renderTicking, 15000);
  // Requests cross a bar's line of the pending-by-age chart with no event: read it again now and then.
  setInterval(refreshPending, 600000);
}

main();
