// Dates and sides for the programme-year panels (year.js). Days are counted between calendar
// dates in the programme's time zone, from the server's "today" (Programme.today).

import { localId } from "./ui.js";

const DAY = 86_400_000;

// Where the mentor inbox links a mentee's card to the pair's meetings and surveys.
export const pairAnchor = (studentId) => `with-${localId(studentId)}`;
// Where a survey letter's link lands: one pair's form for one survey (services/surveys.py).
export const surveyAnchor = (matchId, surveyId) => `survey-${localId(matchId)}-${localId(surveyId)}`;

// The calendar date ("2026-02-03") of a moment, in the programme's time zone.
export function localDate(iso, timeZone) {
  return new Intl.DateTimeFormat("en-CA", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

function utc(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

export const daysBetween = (from, to) => Math.round((utc(to) - utc(from)) / DAY);

// The person's side of a match (as Meeting.recordedBy says it) and the other person.
export const sideOf = (role) => (role === "MENTOR" ? "MENTOR" : "STUDENT");
export const partnerOf = (year, match) =>
  sideOf(year.role) === "MENTOR" ? match.student : match.mentor;
export const firstName = (person) => person.displayName.split(" ")[0];

// How long since a pair last met (or, never having met, were matched), by the server's day.
export function quietDays(year, match) {
  const meetings = year.meetings.get(match.id) || [];
  const since = meetings.length ? meetings[0].metOn : localDate(match.createdAt, year.tz);
  return { days: daysBetween(since, year.data.programme.today), since, met: meetings.length > 0 };
}
