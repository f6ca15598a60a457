// The programme year after matching, shared by the mentor inbox (/mentor) and the matched
// student's page (/browse): "My programme" (what is done and what is next), the briefing for
// the person's role, each pair's meetings and surveys, and the person's own data.
//
// No live subscription tells mentors and students of briefings, meetings or surveys (only of
// their requests), so the panels are read afresh after each of the person's own actions, when
// the host page reads itself again (every request event, a reconnection), and when the tab
// comes back into view. Dates are counted from the server's "today" (Programme.today), never
// from the browser's clock.

import { briefingPanel } from "./year-briefing.js";
import { dataPanel } from "./year-data.js";
import { pairPanel } from "./year-pairs.js";
import { localDate, partnerOf } from "./year-dates.js";
import { debounce, formatDate, formatDateTime, h, localId, replace, showError } from "./ui.js";

const YEAR = `query ProgrammeYear($programmeId: ID) {
  programme(id: $programmeId) { id name timezone today phases { phase opensOn closesOn isOpen } }
  myMatches(programmeId: $programmeId) {
    id createdAt
    mentor { id displayName contactEmail erased }
    student { id displayName contactEmail erased }
  }
  briefingSessions(programmeId: $programmeId) {
    id startsAt durationMinutes place onlineUrl capacity placesLeft signedUp
  }
  surveys(programmeId: $programmeId) { id kind title opensOn closesOn isOpen }
  mySurveyTasks(programmeId: $programmeId, includeClosed: true) {
    matchId answered
    survey { id kind title closesOn isOpen questions { id position kind prompt } }
  }
}`;
const MEETINGS = `query Meetings($matchId: ID!) {
  matchMeetings(matchId: $matchId) { id metOn note recordedBy createdAt } }`;

export { pairAnchor } from "./year-dates.js";

// Mounts the panels in `root` (hidden until the first `show(…)`); `session` is signIn()'s answer.
export function programmeYear({ session, role, root }) {
  const { api } = session;
  const year = { api, session, role, tz: undefined, data: null, meetings: new Map() };
  let programmeId = null;
  let shown = false;

  const timelineList = h("ol", {
    class: "timeline",
    id: "year-timeline",
    "aria-labelledby": "year-title",
  });
  const timelineNote = h("p", { class: "hint", id: "year-programme" });
  const pairs = h("div", { class: "stack", id: "year-pairs" });
  const panels = { briefing: briefingPanel(year), data: dataPanel(year), pairs: new Map() };
  const timeline = h(
    "section",
    { class: "card", id: "year-programme-card", "aria-labelledby": "year-title" },
      h(
        "div",
        { class: "card-head" },
      h("h2", { id: "year-title" }, "My programme"),
      timelineNote,
    ),
    timelineList,
  );
  replace(
    root,
    timeline,
    panels.briefing.element,
    pairs,
    panels.data.element,
  );

  const render = () => {
    const { data } = year;
    // My data is everyone's; the rest of the year begins with a match.
    for (const part of [timeline, panels.briefing.element, pairs]) part.hidden = !year.matched;
    year.tz = data.programme.timezone;
    replace(timelineNote, data.programme.name);
    replace(timelineList, steps(year).map(stepItem));
    panels.briefing.render();
    const wanted = new Set(data.myMatches.map((m) => m.id));
    for (const [id, panel] of panels.pairs) {
      if (!wanted.has(id)) {
        panel.element.remove();
        panels.pairs.delete(id);
      }
    }
    for (const match of data.myMatches) {
      if (!panels.pairs.has(match.id)) panels.pairs.set(match.id, pairPanel(year, match));
      const panel = panels.pairs.get(match.id);
      // New ones at the end, in the server's order; one already there stays put (moving it
      // would take the focus out of it).
      if (panel.element.parentNode !== pairs) pairs.append(panel.element);
      panel.render(match);
    }
    panels.data.render();
  };

  // A survey letter's link (#survey-<match>-<survey>, services/surveys.py) names a form that
  // exists only once the panels are read: it is brought into view then. Opened in a tab that
  // already shows the page, only the fragment changes: the panels are read afresh for it.
  let target = null;
  const aim = () => {
    const wanted = location.hash.slice(1);
    target = /^survey-\d+-\d+$/.test(wanted) ? wanted : null;
  };
  const reveal = () => {
    if (!target || root.hidden) return;
    const matchKey = Number(target.split("-")[1]);
    // Answered or closed meanwhile, the survey has no form: the pair's panel, then.
    const found =
      document.getElementById(target) ||
      [...pairs.querySelectorAll("[data-match]")].find((e) => localId(e.dataset.match) === matchKey);
    target = null;
    if (!found || found.closest("[hidden]")) return;
    found.scrollIntoView({ block: "start" });
    found.focus({ preventScroll: true });
  };
  aim();

  let reads = 0;
  const load = async () => {
    const read = ++reads;
    const data = await api.request(YEAR, { programmeId });
    const meetings = await Promise.all(
      data.myMatches.map((m) => api.request(MEETINGS, { matchId: m.id })),
    );
    if (read !== reads) return; // a newer read is under way: it shows what is newer
    year.data = data;
    year.meetings = new Map(data.myMatches.map((m, i) => [m.id, meetings[i].matchMeetings]));
    render();
    root.hidden = !shown; // shown once there is something to show
    reveal();
  };
  // Every part reads afresh through this after an action of its own.
  year.refresh = async () => {
    if (!shown || year.erased) return;
    try {
      await load();
    } catch (error) {
      if (error.code !== "NETWORK") showError(error);
    }
  };
  const soon = debounce(() => year.refresh(), 150);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") soon();
  });
  window.addEventListener("hashchange", () => {
    aim();
    if (target) soon();
  });

  return {
    // The host page calls this whenever it has read itself: my data at once, the rest of the
    // year once the person is matched.
    show(matched, programme) {
      year.matched = Boolean(matched);
      shown = true;
      programmeId = programme || null;
      soon();
    },
    refresh: soon,
  };
}

// ---- "My programme" -------------------------------------------------------------------------

const longDate = (isoDate) => formatDate(isoDate, { year: "numeric" });
const STATE_TEXT = { done: "Done", next: "Next", todo: "To do", later: "Later", closed: "Closed" };

function phaseDates(programme, name) {
  const phase = programme.phases.find((p) => p.phase === name);
  return phase
    ? `${formatDate(phase.opensOn)} – ${formatDate(phase.closesOn, { year: "numeric" })}`
    : null;
}

const partnerName = (year, match) => partnerOf(year, match).displayName;

function steps(year) {
  const { programme, myMatches, briefingSessions, surveys, mySurveyTasks } = year.data;
  const tz = programme.timezone;
  const today = programme.today;
  const list = [];

  const since = myMatches.map(
    (m) => `${partnerName(year, m)} since ${formatDate(localDate(m.createdAt, tz))}`,
  );
  list.push({ key: "matched", title: "Matched", state: "done", text: since.join("; ") });

  const mine = briefingSessions.find((b) => b.signedUp);
  if (mine) {
    const over = localDate(mine.startsAt, tz) < today;
    list.push({
      key: "briefing",
      title: "Briefing",
      state: over ? "done" : "todo",
      text: `${over ? "Took place" : "Signed up"}: ${formatDateTime(mine.startsAt, tz)}`,
      waiting: !over, // signed up: nothing more to do until the day
    });
  } else {
    const dates = phaseDates(programme, "BRIEFINGS");
    const open = briefingSessions.filter((b) => localDate(b.startsAt, tz) >= today);
    list.push({
      key: "briefing",
      title: "Briefing",
      state: open.length ? "todo" : "later",
      text: open.length
        ? "Sign up for a session below."
        : `Sessions ${dates ? `are held ${dates}` : "are to be announced"}.`,
    });
  }

  const firsts = myMatches.map((m) => {
    const meetings = year.meetings.get(m.id) || [];
    return { match: m, first: meetings.length ? meetings[meetings.length - 1].metOn : null };
  });
  const met = firsts.filter((f) => f.first);
  const single = myMatches.length === 1;
  list.push({
    key: "first-meeting",
    title: "First meeting",
    state: met.length === firsts.length && firsts.length ? "done" : "todo",
    text: firsts
      .map(({ match, first }) => {
        const who = single ? "" : ` with ${partnerName(year, match)}`;
        return first ? `Met${who} ${longDate(first)}` : `Agree on a first meeting${who}.`;
      })
      .join(" "),
  });

  for (const [kind, title, phase] of [
    ["HALFWAY", "Halfway survey", "HALFWAY_SURVEY"],
    ["FINAL", "Final survey", "FINAL_SURVEY"],
  ]) {
    const survey = surveys.find((s) => s.kind === kind);
    const dates = phaseDates(programme, phase);
    const tasks = mySurveyTasks.filter((t) => t.survey.kind === kind);
    let state;
    let text;
    if (survey && survey.isOpen && tasks.length) {
      const done = tasks.every((t) => t.answered);
      state = done ? "done" : "todo";
      const until = survey.closesOn ? ` until ${longDate(survey.closesOn)}` : "";
      text = done ? "Answered. Thank you!" : `Open${until}: answer it below.`;
    } else if (survey && survey.closesOn && survey.closesOn < today) {
      // Over: whoever answered it is told so still, not only that it closed.
      const answered = tasks.length > 0 && tasks.every((t) => t.answered);
      state = answered ? "done" : "closed";
      text = `${answered ? "Answered. " : ""}Closed ${formatDate(survey.closesOn, { year: "numeric" })}.`;
    } else {
      state = "later";
      text = dates ? `Open ${dates}.` : "Dates to be announced.";
    }
    list.push({ key: kind.toLowerCase(), title, state, text });
  }

  // The first thing the person can do now is what is next.
  const todo = list.filter((s) => s.state === "todo");
  const next = todo.find((s) => !s.waiting) || todo[0];
  if (next) next.state = "next";
  return list;
}

function stepItem(step) {
  return h(
    "li",
    { class: "timeline-step", "data-step": step.key, "data-state": step.state },
    h("span", { class: "timeline-mark", "aria-hidden": "true" }),
    h(
      "div",
      { class: "timeline-body" },
      h(
        "p",
        { class: "timeline-title" },
        h("strong", {}, step.title, h("span", { class: "visually-hidden" }, ":")),
        h("span", { class: "step-state" }, STATE_TEXT[step.state]),
      ),
      h("p", { class: "hint" }, step.text),
    ),
  );
}
