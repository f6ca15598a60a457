// What every section page of the coordinator's console shares: signing in and showing the nav
// and the programme (the one in ?programme=, else the running one) with its picker; reading what
// the page shows and reading it again when the programme's events say it changed, or when the
// connection comes back after a drop (events may have been missed meanwhile); dialogs; times in
// the programme's time zone; and the coordinator's override of a request.

import { showConsoleNav } from "./console-nav.js";
import { signIn } from "./session.js";
import { $, announce, debounce, h, label, loaded, replace, showError } from "./ui.js";

const PROGRAMME = `
  query ConsoleProgramme($id: ID) {
    programme(id: $id) {
      id name timezone studentPendingLimit mentorPendingLimit requestExpiryHours
      reminderHoursBeforeExpiry currentPhases
      phases { phase opensOn closesOn isOpen }
    }
    programmes { id name }
    programmeStats(programmeId: $id) { seq asOf }
  }`;

const EVENTS_LIVE = `subscription ConsoleEvents($programmeId: ID, $after: Int) {
  programmeEvents(programmeId: $programmeId, after: $after) { seq kind } }`;

const OVERRIDE = `
  mutation Override($id: ID!, $decision: Decision!, $reason: String) {
    overrideRequest(requestId: $id, decision: $decision, reason: $reason) {
      id status reason
    }
  }`;

// ---- Starting a section ----------------------------------------------------------------------

// Signed in as a coordinator, with the nav and the programme. Resolves with the section
// { api, live, programme, programmes, seq, serverNow, refresh } or null (the page says why);
// `followSection` then reads what the page shows. `orNone`: before any programme exists,
// resolve with programme: null instead (the Programmes section starts the first one).
export async function startSection({ orNone = false } = {}) {
  let section = null;
  let wasLive = false;
  const session = await signIn("COORDINATOR", {
    onStatus: (status) => {
      if (status === "live" && wasLive && section) section.refresh();
      if (status === "live") wasLive = true;
    },
  });
  if (!session) return null;
  showConsoleNav();
  const { api, live } = session;
  const wanted = new URLSearchParams(location.search).get("programme");
  let data;
  try {
    data = await api.request(PROGRAMME, { id: wanted });
  } catch (error) {
    if (orNone && !wanted && error.code === "NOT_FOUND") {
      live.ensureConnected(); // nothing to follow yet, but the page is live, not "Connecting…"
      return { api, live, programme: null, programmes: [], seq: 0, serverNow: () => Date.now() };
    }
    replace($("#programme-name"), "No programme to show");
    showError(error);
    loaded();
    return null;
  }
  const { programme, programmes } = data;
  const offset = Date.parse(data.programmeStats.asOf) - Date.now();
  replace($("#programme-name"), programme.name);
  const heading = $("#page-title"); // a page titled by its heading names the programme too
  if (heading) document.title = `${heading.textContent} · ${programme.name} · Mentori`;
  renderPicker(programme, programmes);
  section = {
    api,
    live,
    programme,
    programmes,
    seq: data.programmeStats.seq,
    serverNow: () => Date.now() + offset,
    refresh: () => {},
  };
  return section;
}

// Reads and shows the page's data with `refresh(section)`, marks the page loaded, and from then
// on reads it again (once for a burst) when an event of `kinds` arrives (every kind when null),
// or after a drop. `section.refresh()` asks for the same.
export async function followSection(section, refresh, { kinds = null } = {}) {
  let shown = false;
  async function show() {
    try {
      await refresh(section);
    } catch (error) {
      if (error.code !== "NETWORK") showError(error);
    }
    if (!shown) {
      shown = true;
      loaded();
    }
  }
  section.refresh = debounce(show, 150);
  await show();
  if (kinds && !kinds.length) return;
  let last = section.seq;
  section.live.subscribe(
    EVENTS_LIVE,
    () => ({ programmeId: section.programme.id, after: last }),
    {
      next: ({ programmeEvents: event }) => {
        if (event.seq <= last) return;
        last = event.seq;
        if (!kinds || kinds.includes(event.kind)) section.refresh();
      },
      resync: section.refresh,
    },
  );
}

// The programme picker, once there are two programmes or more (again when one is created).
export function renderPicker(programme, programmes) {
  const box = $("#programme-picker");
  if (!box || !programmes || programmes.length < 2) return;
  const select = h(
    "select",
    { id: "programme-select", "aria-label": "Programme" },
    programmes.map((p) => h("option", { value: p.id, selected: p.id === programme.id }, p.name)),
  );
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("programme", select.value);
    location.assign(url);
  });
  const hadFocus = box.contains(document.activeElement);
  replace(box, select);
  if (hadFocus) select.focus();
}

// ---- Times in the programme's time zone ------------------------------------------------------

// The time of day a programme's clock shows, for a datetime-local input ("2026-02-03T16:00"),
// and back: the pages speak the programme's time zone whatever the browser's is.
function zoneOffset(utcMs, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - Math.floor(utcMs / 1000) * 1000;
}

export function zonedToIso(local, timeZone) {
  const [day, time] = local.split("T");
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let utc = wall - zoneOffset(wall, timeZone);
  utc = wall - zoneOffset(utc, timeZone); // the offset at the moment itself (summer time)
  return new Date(utc).toISOString();
}

export function isoToZoned(iso, timeZone) {
  const ms = Date.parse(iso);
  return new Date(ms + zoneOffset(ms, timeZone)).toISOString().slice(0, 16);
}

// Today's date in the programme's time zone (by the server's clock when `now` is given).
export function todayIn(timeZone, now = Date.now()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date(now));
}

// ---- Dialogs ---------------------------------------------------------------------------------

// Shows a <dialog> (the page's own or one built here) and gives focus back to what opened it
// when it closes; `focus` is where focus goes first.
export function openDialog(dialog, focus) {
  const opener = document.activeElement;
  dialog.addEventListener("close", () => opener && opener.focus && opener.focus(), { once: true });
  dialog.showModal();
  if (focus) focus.focus();
}

let dialogCount = 0;

function dialogShell(title, { danger = false } = {}) {
  dialogCount += 1;
  const titleId = `console-dialog-title-${dialogCount}`;
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { method: "dialog" });
  const dialog = h(
    "dialog",
    { class: `console-dialog${danger ? " is-danger" : ""}`, "aria-labelledby": titleId },
    h("h2", { id: titleId }, title),
    form,
  );
  document.body.append(dialog);
  dialog.addEventListener("close", () => setTimeout(() => dialog.remove(), 0));
  return { dialog, form, error };
}

// Asks before a change that people will notice. Resolves true when confirmed.
export function confirmAction({ title, lines, confirm, danger = false }) {
  const { dialog, form } = dialogShell(title, { danger });
  const cancel = h("button", { class: "btn", type: "button", value: "cancel" }, "Cancel");
  const ok = h(
    "button",
    { class: `btn ${danger ? "btn-danger" : "btn-primary"}`, type: "submit", value: "ok" },
    confirm,
  );
  replace(
    form,
    h("ul", { class: "console-effects" }, lines.map((line) => h("li", {}, line))),
    h("div", { class: "actions" }, cancel, ok),
  );
  return new Promise((resolve) => {
    let answer = false;
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      answer = true;
      dialog.close();
    });
    openDialog(dialog, cancel); // focus is back before the answer: the page may move it
    dialog.addEventListener("close", () => resolve(answer));
  });
}

// A form in a dialog whose `submit(values)` goes to the API: an error is shown in the dialog as
// the API's sentence and the dialog stays open; resolves with what `submit` returned, or null.
export function formDialog({ title, fields, confirm, submit, intro = null, danger = false }) {
  const { dialog, form, error } = dialogShell(title, { danger });
  const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
  const ok = h(
    "button",
    { class: `btn ${danger ? "btn-danger" : "btn-primary"}`, type: "submit" },
    confirm,
  );
  replace(
    form,
    intro ? h("p", {}, intro) : null,
    fields,
    error,
    h("div", { class: "actions" }, cancel, ok),
  );
  return new Promise((resolve) => {
    let result = null;
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ok.disabled = true;
      ok.setAttribute("aria-busy", "true");
      replace(error);
      try {
        result = await submit(new FormData(form));
        dialog.close();
      } catch (failure) {
        replace(error, failure.message);
      } finally {
        ok.disabled = false;
        ok.removeAttribute("aria-busy");
      }
    });
    openDialog(dialog, form.querySelector("input, select, textarea") || cancel);
    dialog.addEventListener("close", () => resolve(result));
  });
}

let fieldCount = 0;

// A labelled input for a dialog's form.
export function inputField(labelText, attrs = {}) {
  fieldCount += 1;
  const id = `console-field-${fieldCount}`;
  const tag = attrs.tag || "input";
  const { tag: _tag, ...rest } = attrs;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText),
    h(tag, { id, type: tag === "input" ? "text" : null, ...rest }),
  );
}

// ---- A coordinator steps in -----------------------------------------------------------------

const DECISIONS = [
  ["ACCEPT", "Accept on the mentor's behalf: the two are matched"],
  ["REJECT", "Decline on the mentor's behalf: the student may ask someone else at once"],
  ["WITHDRAW", "Withdraw on the student's behalf: the mentor's slot is freed"],
];

// The override of one pending request; resolves with the request as it is now, or null.
export function overrideRequest(api, request) {
  const choices = h(
    "fieldset",
    {},
    h("legend", {}, "What to do"),
    DECISIONS.map(([value, text], index) =>
      h(
        "label",
        { class: "console-choice" },
        h("input", { type: "radio", name: "decision", value, required: true, checked: index === 1 }),
        ` ${text}`,
      ),
    ),
  );
  // The API keeps a reason with a decline only (the student is told it).
  const reason = inputField("Reason for declining (the student is told it)", {
    tag: "textarea",
    name: "reason",
    maxlength: 1000,
  });
  return formDialog({
    title: "Step in on this request",
    intro: `${request.student.displayName} asked ${request.mentor.displayName}; ${label(
      request.status,
    ).toLowerCase()}.`,
    fields: [choices, reason],
    confirm: "Step in",
    submit: async (values) => {
      const data = await api.request(OVERRIDE, {
        id: request.id,
        decision: values.get("decision"),
        reason: values.get("reason").trim() || null,
      });
      const done = data.overrideRequest;
      announce(`The request is now ${label(done.status).toLowerCase()}.`);
      return done;
    },
  });
}
