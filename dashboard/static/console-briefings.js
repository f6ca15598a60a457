// The console's briefings: schedule sessions (mentors online, students on campus), change
// them, see who signs up as they do (BRIEFING_CHANGED events), and export the list as CSV.

import {
  followSection,
  isoToZoned,
  openDialog,
  startSection,
  todayIn,
  zonedToIso,
} from "./console-kit.js";
import { csvSeparator, download, separatorPicker, slug, toCsv } from "./csv.js";
import { $, alertBox, announce, busy, flash, formatDateTime, h, pluralise, replace, showError } from "./ui.js";

const SESSION_FIELDS = "id audience startsAt durationMinutes place onlineUrl capacity signedUpCount placesLeft";
const BRIEFINGS = `
  query Briefings($programmeId: ID) {
    briefingSessions(programmeId: $programmeId) { ${SESSION_FIELDS} }
    briefingSignUps(programmeId: $programmeId) { briefingId name role signedUpAt }
  }`;
const CREATE = `
  mutation Schedule($programmeId: ID, $input: BriefingSessionInput!) {
    createBriefingSession(programmeId: $programmeId, input: $input) { ${SESSION_FIELDS} }
  }`;
const UPDATE = `
  mutation Change($id: ID!, $input: BriefingSessionInput!) {
    updateBriefingSession(id: $id, input: $input) { ${SESSION_FIELDS} }
  }`;

const AUDIENCE = { MENTORS: "Mentors (online)", STUDENTS: "Students (on campus)" };
const ROLE = { MENTOR: "Mentor", STUDENT: "Student" };
const state = { sessions: [], signUps: [], editing: null, counts: new Map() };

function when(session, tz, options = {}) {
  return formatDateTime(session.startsAt, tz, { year: "numeric", ...options });
}

function where(session) {
  return [session.place, session.onlineUrl].filter(Boolean).join(" · ");
}

function renderSessions(section) {
  const tz = section.programme.timezone;
  const rows = state.sessions.map((s) => {
    const edit = h(
      "button",
      { class: "btn btn-small", type: "button", "aria-label": `Change the session of ${when(s, tz)}` },
      "Change",
    );
    edit.addEventListener("click", () => openEditor(section, s));
    const count = h(
      "td",
      { class: "num", "data-label": "Signed up" },
      `${s.signedUpCount} / ${s.capacity}`,
      s.placesLeft === 0 ? [" ", h("span", { class: "badge badge-full" }, "Full")] : null,
    );
    const previous = state.counts.get(s.id);
    if (previous !== undefined && previous !== s.signedUpCount) flash(count);
    state.counts.set(s.id, s.signedUpCount);
    return h(
      "tr",
      { "data-id": s.id },
      h("td", { "data-label": "Starts" }, when(s, tz), h("span", { class: "sub" }, `${s.durationMinutes} min`)),
      h("td", { "data-label": "For" }, AUDIENCE[s.audience]),
      h(
        "td",
        { "data-label": "Where" },
        s.place || null,
        s.onlineUrl ? h("span", { class: "sub" }, s.onlineUrl) : null,
      ),
      count,
      h("td", { "data-label": "" }, edit),
    );
  });
  replace($("#sessions tbody"), rows);
  $("#sessions").hidden = rows.length === 0;
  $("#sessions-empty").hidden = rows.length > 0;
  const places = state.sessions.reduce((n, s) => n + s.signedUpCount, 0);
  replace(
    $("#sessions-count"),
    rows.length ? `${pluralise(rows.length, "session")}, ${pluralise(places, "person", "people")} signed up` : "",
  );
}

function renderSignUps(section) {
  const tz = section.programme.timezone;
  const byId = new Map(state.sessions.map((s) => [s.id, s]));
  const rows = state.signUps.map((u) => {
    const session = byId.get(u.briefingId);
    return h(
      "tr",
      {},
      h("td", { "data-label": "Name" }, u.name || h("em", {}, "Erased person")),
      h("td", { "data-label": "Role" }, ROLE[u.role] || "—"),
      h("td", { "data-label": "Session" }, session ? when(session, tz, { year: undefined }) : "—"),
      h("td", { "data-label": "Signed up" }, formatDateTime(u.signedUpAt, tz)),
    );
  });
  replace($("#signups tbody"), rows);
  $("#signups").hidden = rows.length === 0;
  $("#signups-empty").hidden = rows.length > 0;
}

async function refresh(section) {
  const data = await section.api.request(BRIEFINGS, { programmeId: section.programme.id });
  const before = state.signUps.length;
  state.sessions = data.briefingSessions;
  state.signUps = data.briefingSignUps;
  renderSessions(section);
  renderSignUps(section);
  if (state.loaded && state.signUps.length !== before) {
    announce(`${pluralise(state.signUps.length, "person", "people")} signed up for briefings.`);
  }
  state.loaded = true;
}

// ---- Scheduling and changing a session -------------------------------------------------------

function openEditor(section, session = null) {
  const tz = section.programme.timezone;
  state.editing = session;
  const form = $("#briefing-form");
  form.reset();
  replace($("#briefing-error"));
  replace($("#briefing-dialog-title"), session ? "Change the briefing session" : "Schedule a briefing session");
  replace($("#briefing-save"), session ? "Save changes" : "Schedule");
  replace($("#briefing-starts-hint"), `In the programme's time zone (${tz}).`);
  if (session) {
    $("#briefing-audience").value = session.audience;
    $("#briefing-starts").value = isoToZoned(session.startsAt, tz);
    $("#briefing-duration").value = session.durationMinutes;
    $("#briefing-place").value = session.place;
    $("#briefing-link").value = session.onlineUrl;
    $("#briefing-capacity").value = session.capacity;
  }
  openDialog($("#briefing-dialog"), $("#briefing-audience"));
}

function formInput(section) {
  const starts = $("#briefing-starts").value;
  const number = (id) => {
    const value = $(id).value.trim();
    return value === "" ? null : Number(value);
  };
  return {
    audience: $("#briefing-audience").value,
    startsAt: starts ? zonedToIso(starts, section.programme.timezone) : null,
    durationMinutes: number("#briefing-duration"),
    place: $("#briefing-place").value,
    onlineUrl: $("#briefing-link").value,
    capacity: number("#briefing-capacity"),
  };
}

async function save(section) {
  const input = formInput(section);
  const error = $("#briefing-error");
  if (!input.startsAt) {
    replace(error, "Choose when the session starts.");
    $("#briefing-starts").focus();
    return;
  }
  try {
    const editing = state.editing;
    if (editing) {
      await section.api.request(UPDATE, { id: editing.id, input });
    } else {
      await section.api.request(CREATE, { programmeId: section.programme.id, input });
    }
    $("#briefing-dialog").close();
    alertBox(editing ? "The session was changed." : "The session was scheduled.", { kind: "success" });
    await refresh(section);
  } catch (failure) {
    // The API's own sentence, where the coordinator is looking.
    replace(error, failure.message);
    error.focus?.();
  }
}

// ---- Export ---------------------------------------------------------------------------------

function exportSignUps(section) {
  const tz = section.programme.timezone;
  const separator = csvSeparator();
  const byId = new Map(state.sessions.map((s) => [s.id, s]));
  const rows = state.signUps.map((u) => {
    const s = byId.get(u.briefingId);
    return [
      s ? when(s, tz, { weekday: undefined }) : "",
      s ? AUDIENCE[s.audience] : "",
      s ? where(s) : "",
      u.name || "(erased)",
      ROLE[u.role] || "",
      formatDateTime(u.signedUpAt, tz, { weekday: undefined, year: "numeric" }),
    ];
  });
  download(
    `${slug(section.programme.name)}-briefing-sign-ups-${todayIn(tz)}.csv`,
    toCsv(["Session", "For", "Where", "Name", "Role", "Signed up"], rows, { separator }),
  );
  alertBox(`${pluralise(rows.length, "sign-up")} exported.`, { kind: "success" });
}

// ---- Wiring ---------------------------------------------------------------------------------

async function main() {
  replace($("#separator"), separatorPicker());
  const section = await startSection();
  if (!section) return;
  await followSection(section, refresh, { kinds: ["BRIEFING_CHANGED", "PERSON_ERASED"] });
  $("#schedule").addEventListener("click", () => openEditor(section));
  $("#briefing-cancel").addEventListener("click", () => $("#briefing-dialog").close());
  $("#briefing-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#briefing-save"), () => save(section));
  });
  const exportButton = $("#export-signups");
  exportButton.addEventListener("click", () =>
    busy(exportButton, async () => {
      try {
        exportSignUps(section);
      } catch (error) {
        showError(error);
      }
    }),
  );
}

main();
