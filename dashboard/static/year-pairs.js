// One pair's year (a mentor has one or two, a student one): the meetings they recorded, with
// the note only the two of them see, a form to record one, a gentle prompt when they have not
// met for over a month, and the open surveys about the match, answered once each. Forms are
// built once and kept when the panel is read afresh, so nothing half-typed is lost.

import { alertBox, busy, formatDate, h, localId, replace } from "./ui.js";
import { firstName, localDate, pairAnchor, partnerOf, quietDays, sideOf } from "./year-dates.js";
import { surveyBox } from "./year-surveys.js";

const RECORD = `mutation RecordMeeting($matchId: ID!, $metOn: Date!, $note: String!) {
  recordMeeting(matchId: $matchId, metOn: $metOn, note: $note) { id metOn } }`;
const QUIET_AFTER_DAYS = 30; // "a meeting about once a month"
const longDate = (isoDate) => formatDate(isoDate, { year: "numeric" });

export function pairPanel(year, match) {
  const key = localId(match.id);
  const partner = partnerOf(year, match);
  const anchor = pairAnchor(match.student.id);
  const title = h("h2", { id: `pair-title-${key}` });
  const since = h("p", { class: "hint" });
  const nudge = h("p", { class: "banner year-nudge", hidden: true });
  const list = h("ol", { class: "meetings", "aria-labelledby": `meetings-title-${key}` });
  const none = h("p", { class: "empty", hidden: true }, "No meeting recorded yet.");
  const surveys = h("div", { class: "stack year-surveys" });

  const date = h("input", { id: `met-on-${key}`, type: "date", required: true });
  const note = h("textarea", { id: `note-${key}`, maxlength: 2000, rows: 3 });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, "Record meeting");
  const form = h(
    "form",
    { class: "meeting-form", "aria-labelledby": `record-title-${key}` },
    h("h3", { id: `record-title-${key}` }, "Record a meeting"),
    h(
      "div",
      { class: "meeting-fields" },
      h("div", { class: "field" }, h("label", { for: date.id }, "Date you met"), date),
      h(
        "div",
        { class: "field grow" },
        h("label", { for: note.id }, "Note (only the two of you see it)"),
        note,
      ),
    ),
    error,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        const { recordMeeting } = await year.api.request(RECORD, {
          matchId: match.id,
          metOn: date.value,
          note: note.value.trim(),
        });
        note.value = "";
        date.value = ""; // today again, once read afresh
        replace(error);
        const when = longDate(recordMeeting.metOn);
        alertBox(`Your meeting on ${when} is recorded; ${firstName(partner)} sees it too.`, {
          kind: "success",
        });
        await year.refresh();
      } catch (failure) {
        replace(error, failure.message);
      }
    });
  });

  const element = h(
    "section",
    {
      class: "card pair",
      id: anchor,
      "data-match": match.id,
      tabindex: "-1",
      "aria-labelledby": title.id,
    },
    h("div", { class: "card-head" }, title, since),
    nudge,
    h("h3", { id: `meetings-title-${key}` }, "Meetings"),
    list,
    none,
    form,
    surveys,
  );
  const surveyBoxes = new Map(); // survey id -> its box, kept while the survey is open

  // An erased partner's placeholder name ("Former student") is no first name to go by.
  const former = year.role === "MENTOR" ? "your former mentee" : "your former mentor";
  const recorder = (person) => (person.erased ? former : firstName(person));

  function meetingItem(meeting, partnerNow) {
    const mine = meeting.recordedBy === sideOf(year.role);
    return h(
      "li",
      { "data-meeting": meeting.id },
      h(
        "p",
        { class: "meeting-head" },
        h("time", { datetime: meeting.metOn }, longDate(meeting.metOn)),
        h("span", { class: "hint" }, `recorded by ${mine ? "you" : recorder(partnerNow)}`),
      ),
      meeting.note ? h("p", { class: "meeting-note" }, meeting.note) : null,
    );
  }

  function renderNudge(current) {
    const { days, since: last, met } = quietDays(year, current);
    const who = firstName(partnerOf(year, current));
    // Once the programme's dates are over, nobody is asked to meet again.
    const { phases, today } = year.data.programme;
    const programme = phases.find((p) => p.phase === "PROGRAMME");
    nudge.hidden =
      days <= QUIET_AFTER_DAYS ||
      Boolean(programme && programme.closesOn < today) ||
      partnerOf(year, current).erased; // nobody left to meet
    if (nudge.hidden) return;
    replace(
      nudge,
      met
        ? `It is ${days} days since you last met ${who} (${longDate(last)}). `
        : `You were matched ${days} days ago and no meeting is recorded yet. `,
      "A meeting about once a month keeps the mentoring going: ",
      met ? "how about agreeing on the next one?" : `how about a first one with ${who}?`,
    );
  }

  function render(current) {
    const { programme, mySurveyTasks } = year.data;
    const name = partnerOf(year, current).displayName;
    replace(title, `With ${name}`);
    const matched = `Matched ${longDate(localDate(current.createdAt, year.tz))}.`;
    const who = year.role === "MENTOR" ? "This mentee" : "Your mentor";
    replace(
      since,
      partnerOf(year, current).erased
        ? `${matched} ${who} erased their data; the match stays as an anonymous record.`
        : matched,
    );
    const meetings = year.meetings.get(current.id) || [];
    replace(list, meetings.map((m) => meetingItem(m, partnerOf(year, current))));
    none.hidden = meetings.length > 0;
    renderNudge(current);
    // The date: any day from the match to the server's today (never the browser's).
    date.min = localDate(current.createdAt, year.tz);
    date.max = programme.today;
    if (!date.value || date.value > date.max) date.value = programme.today;

    // Surveys still open only: one whose dates are over is no longer answered here.
    const tasks = mySurveyTasks.filter((t) => t.matchId === current.id && t.survey.isOpen);
    for (const [id, box] of surveyBoxes) {
      if (!tasks.some((t) => t.survey.id === id)) {
        box.element.remove();
        surveyBoxes.delete(id);
      }
    }
    for (const task of tasks) {
      if (!surveyBoxes.has(task.survey.id)) {
        surveyBoxes.set(task.survey.id, surveyBox(year, current, task, name));
      }
      const box = surveyBoxes.get(task.survey.id);
      if (box.element.parentNode !== surveys) surveys.append(box.element); // kept in place: focus
      box.render(task);
    }
    surveys.hidden = tasks.length === 0;
  }

  return { element, render };
}
