// The console's quiet matches: the pairs with no meeting recorded for more than N days, and a
// nudge that emails both a friendly reminder (once a week per pair at most, which the API
// holds: a second nudge within the week is refused in its words). Meetings recorded and
// nudges sent elsewhere show at once (MEETING_RECORDED, MATCH_NUDGED events).

import { followSection, openDialog, startSection } from "./console-kit.js";
import {
  $,
  alertBox,
  busy,
  formatDate,
  formatDateTime,
  h,
  keepingFocus,
  pluralise,
  replace,
} from "./ui.js";

const QUIET = `
  query Quiet($programmeId: ID, $days: Int!) {
    quietMatches(programmeId: $programmeId, days: $days) {
      match { id mentor { displayName } student { displayName } }
      lastMetOn daysSince nudgedAt nextNudgeAt
    }
  }`;
const NUDGE = `
  mutation Nudge($matchId: ID!) { nudgeMatch(matchId: $matchId) { nudgedAt nextNudgeAt } }`;

const state = { days: 45, quiet: [], nudging: null };

function pair(q) {
  return `${q.match.mentor.displayName} and ${q.match.student.displayName}`;
}

function render(section) {
  const tz = section.programme.timezone;
  const rows = state.quiet.map((q) => {
    const nudge = h(
      "button",
      { class: "btn btn-small", type: "button", "aria-label": `Nudge ${pair(q)}` },
      "Nudge",
    );
    nudge.addEventListener("click", () => openNudge(q));
    return h(
      "tr",
      { "data-match": q.match.id },
      h("td", { "data-label": "Mentor" }, q.match.mentor.displayName),
      h("td", { "data-label": "Student" }, q.match.student.displayName),
      h(
        "td",
        { "data-label": "Last met" },
        q.lastMetOn ? formatDate(q.lastMetOn, { year: "numeric" }) : "Never met",
      ),
      h("td", { class: "num", "data-label": "Quiet for" }, pluralise(q.daysSince, "day")),
      h(
        "td",
        { "data-label": "Reminded", class: "nudged" },
        q.nudgedAt
          ? [
              formatDateTime(q.nudgedAt, tz),
              h("span", { class: "sub" }, `Again from ${formatDateTime(q.nextNudgeAt, tz)}`),
            ]
          : "Not yet",
      ),
      h("td", { "data-label": "" }, nudge),
    );
  });
  keepingFocus($("#quiet tbody"), "match", () => replace($("#quiet tbody"), rows), $("#quiet-title"));
  $("#quiet").hidden = rows.length === 0;
  const empty = $("#quiet-empty");
  empty.hidden = rows.length > 0;
  replace(empty, `Every pair has met within the last ${pluralise(state.days, "day")}.`);
  replace($("#quiet-count"), rows.length ? pluralise(rows.length, "pair") : "");
}

async function refresh(section) {
  const data = await section.api.request(QUIET, {
    programmeId: section.programme.id,
    days: state.days,
  });
  state.quiet = data.quietMatches;
  render(section);
}

function openNudge(q) {
  state.nudging = q;
  replace($("#nudge-error"));
  replace($("#nudge-dialog-title"), `Remind ${pair(q)}?`);
  replace(
    $("#nudge-who"),
    q.lastMetOn
      ? `They last recorded a meeting ${pluralise(q.daysSince, "day")} ago.`
      : `They have recorded no meeting in the ${pluralise(q.daysSince, "day")} since they were matched.`,
  );
  openDialog($("#nudge-dialog"), $("#nudge-send"));
}

async function sendNudge(section) {
  const q = state.nudging;
  try {
    await section.api.request(NUDGE, { matchId: q.match.id });
    $("#nudge-dialog").close();
    alertBox(`A reminder is on its way to ${pair(q)}.`, { kind: "success" });
    await refresh(section);
  } catch (failure) {
    replace($("#nudge-error"), failure.message); // e.g. NUDGED_RECENTLY, in the API's words
  }
}

async function main() {
  const section = await startSection();
  if (!section) return;
  await followSection(section, refresh, {
    kinds: ["MEETING_RECORDED", "MATCH_NUDGED", "REQUEST_ACCEPTED", "PERSON_ERASED"],
  });
  $("#quiet-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const days = Number($("#quiet-days").value);
    if (!Number.isInteger(days)) {
      alertBox("Give the number of days as a whole number.", { kind: "error" });
      return;
    }
    state.days = days; // the API says if it is out of range
    section.refresh();
  });
  $("#nudge-cancel").addEventListener("click", () => $("#nudge-dialog").close());
  $("#nudge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#nudge-send"), () => sendNudge(section));
  });
}

main();
