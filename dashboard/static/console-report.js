// The console's end-of-programme report: the programme in figures (people, matches, meetings,
// briefings), the survey results, and supply against demand by field and language. It prints
// as a document (mentori.css, @media print) and exports each part as CSV for a spreadsheet,
// semicolon-separated with decimal commas when the coordinator's Excel speaks Finnish.

import { followSection, startSection, todayIn } from "./console-kit.js";
import { csvNumber, csvSeparator, download, separatorPicker, slug, toCsv } from "./csv.js";
import { $, alertBox, formatDate, formatDateTime, h, label, pluralise, replace, showError } from "./ui.js";

const REPORT = `
  query Report($programmeId: ID) {
    programmeStats(programmeId: $programmeId) {
      asOf
      mentors { available busy full hidden }
      students { total unmatched pending matched }
      requests { pending accepted rejected expired withdrawn closedMentorFull }
      matches
      byField { key name mentorSlotsLeft studentsLooking }
      byLanguage { key name mentorSlotsLeft studentsLooking }
    }
    programmeReport(programmeId: $programmeId) {
      matches meetingsHeld pairsMet pairsNudged mentorsBriefed studentsBriefed
    }
    surveys(programmeId: $programmeId) { id kind title }
  }`;
const RESULTS = `
  query Results($id: ID!) {
    surveyResults(surveyId: $id) {
      expectedResponses responses responseRate
      questions { question { position kind prompt } answers average distribution }
    }
  }`;

const SURVEY_NAMES = { HALFWAY: "Halfway check-in", FINAL: "Final feedback" };
const state = { figures: [], surveys: [], supply: { fields: [], languages: [] } };

const percent = (part, whole) => (whole ? Math.round((part / whole) * 100) : 0);
const decimal = (value) => (value === null || value === undefined ? "–" : value.toFixed(1));

// [label, value, how it shows, whether a decimal]: one list for the page and its export.
function figures(stats, report) {
  const mentors = stats.mentors.available + stats.mentors.busy + stats.mentors.full;
  const perPair = report.matches ? report.meetingsHeld / report.matches : null;
  return [
    ["Students taking part", stats.students.total],
    ["Mentors taking part", mentors],
    ["Matches made", stats.matches, `${stats.matches} (${percent(stats.students.matched, stats.students.total)}% of students)`],
    ["Students left without a mentor", stats.students.unmatched],
    ["Requests declined", stats.requests.rejected],
    ["Requests that expired unanswered", stats.requests.expired],
    ["Meetings held", report.meetingsHeld],
    ["Pairs that met at least once", report.pairsMet, `${report.pairsMet} of ${report.matches}`],
    ["Meetings per pair", perPair, decimal(perPair), true],
    ["Pairs reminded to meet", report.pairsNudged],
    ["Mentors signed up for a briefing", report.mentorsBriefed],
    ["Students signed up for a briefing", report.studentsBriefed],
  ];
}

function renderFigures() {
  replace(
    $("#figures"),
    state.figures.map(([name, value, shown]) =>
      h("div", { class: "figure" }, h("dt", {}, name), h("dd", {}, shown ?? String(value))),
    ),
  );
}

function renderSurveys() {
  const box = $("#report-surveys");
  if (!state.surveys.length) {
    replace(box, h("p", { class: "empty" }, "No survey has been defined."));
    return;
  }
  replace(
    box,
    state.surveys.map(({ survey, results }) => {
      const scale = results.questions.filter((q) => q.question.kind === "SCALE_1_5");
      const written = results.questions.filter((q) => q.question.kind === "TEXT");
      return h(
        "section",
        { class: "report-survey", "aria-label": survey.title },
        h("h3", {}, `${SURVEY_NAMES[survey.kind]}: ${survey.title}`),
        h(
          "p",
          {},
          `${Math.round(results.responseRate * 100)}% answered (${results.responses} of ${results.expectedResponses} expected answers).`,
        ),
        scale.length
          ? h(
              "div",
              // Focusable: on a narrow screen the table scrolls sideways, by keyboard too.
              { class: "table-wrap", tabindex: 0, role: "region", "aria-label": `${survey.title}: scale questions` },
              h(
                "table",
                {},
                h("caption", { class: "visually-hidden" }, `${survey.title}: scale questions`),
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    h("th", { scope: "col" }, "Question"),
                    h("th", { scope: "col", class: "num" }, "Answers"),
                    h("th", { scope: "col", class: "num" }, "Average (1–5)"),
                    h("th", { scope: "col" }, "Answered 1 / 2 / 3 / 4 / 5"),
                  ),
                ),
                h(
                  "tbody",
                  {},
                  scale.map((q) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, q.question.prompt),
                      h("td", { class: "num" }, String(q.answers)),
                      h("td", { class: "num" }, decimal(q.average)),
                      h("td", {}, q.distribution.join(" / ")),
                    ),
                  ),
                ),
              ),
            )
          : null,
        written.length
          ? h(
              "p",
              { class: "hint" },
              written.map((q) => `“${q.question.prompt}”: ${pluralise(q.answers, "written answer")}`).join("; "),
              " (read them on the Surveys page).",
            )
          : null,
      );
    }),
  );
}

function supplyTable(rows, noun) {
  const shown = rows
    .filter((r) => r.mentorSlotsLeft || r.studentsLooking)
    .sort((a, b) => b.studentsLooking - b.mentorSlotsLeft - (a.studentsLooking - a.mentorSlotsLeft) || a.name.localeCompare(b.name));
  if (!shown.length) return h("p", { class: "empty" }, "No mentor places left and no student looking.");
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": `Supply and demand by ${noun}` },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, `Mentor places left and students looking, by ${noun}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, noun === "field" ? "Field" : "Language"),
          h("th", { scope: "col", class: "num" }, "Places left"),
          h("th", { scope: "col", class: "num" }, "Students looking"),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((r) =>
          h(
            "tr",
            { class: r.studentsLooking > r.mentorSlotsLeft ? "is-short" : null },
            h("th", { scope: "row" }, r.name),
            h("td", { class: "num" }, String(r.mentorSlotsLeft)),
            h("td", { class: "num" }, String(r.studentsLooking)),
          ),
        ),
      ),
    ),
  );
}

async function refresh(section) {
  const id = section.programme.id;
  const data = await section.api.request(REPORT, { programmeId: id });
  const surveys = [];
  for (const survey of data.surveys) {
    surveys.push({ survey, results: (await section.api.request(RESULTS, { id: survey.id })).surveyResults });
  }
  const stats = data.programmeStats;
  state.figures = figures(stats, data.programmeReport);
  state.surveys = surveys;
  state.supply = { fields: stats.byField, languages: stats.byLanguage };
  renderFigures();
  renderSurveys();
  replace($("#report-fields"), supplyTable(stats.byField, "field"));
  replace($("#report-languages"), supplyTable(stats.byLanguage, "language"));
  const tz = section.programme.timezone;
  replace($("#report-as-of"), `As of ${formatDateTime(stats.asOf, tz, { year: "numeric" })} (${tz} time).`);
}

function showDates(programme) {
  const phases = programme.phases;
  if (!phases.length) return;
  const first = phases.reduce((a, p) => (p.opensOn < a ? p.opensOn : a), phases[0].opensOn);
  const last = phases.reduce((a, p) => (p.closesOn > a ? p.closesOn : a), phases[0].closesOn);
  replace(
    $("#report-dates"),
    `${programme.name} ran from ${formatDate(first, { year: "numeric" })} to ${formatDate(last, { year: "numeric" })}: `,
    phases.map((p) => `${label(p.phase)} ${formatDate(p.opensOn)} – ${formatDate(p.closesOn)}`).join("; "),
    ".",
  );
}

// ---- Exports --------------------------------------------------------------------------------

function save(section, what, header, rows) {
  const separator = csvSeparator();
  const name = `${slug(section.programme.name)}-${what}-${todayIn(section.programme.timezone)}.csv`;
  download(name, toCsv(header, rows, { separator }));
}

function exportFigures(section) {
  const separator = csvSeparator();
  const rows = state.figures.map(([name, value, , isDecimal]) => [
    name,
    isDecimal ? csvNumber(value, separator) : value,
  ]);
  save(section, "report-figures", ["Figure", "Value"], rows);
  alertBox("The figures were exported.", { kind: "success" });
}

function exportSupply(section) {
  const rows = [
    ...state.supply.fields.map((r) => ["Field", r.name, r.mentorSlotsLeft, r.studentsLooking]),
    ...state.supply.languages.map((r) => ["Language", r.name, r.mentorSlotsLeft, r.studentsLooking]),
  ];
  save(section, "supply-and-demand", ["By", "Name", "Mentor places left", "Students looking"], rows);
  alertBox("Supply and demand were exported.", { kind: "success" });
}

function exportSurveys(section) {
  const separator = csvSeparator();
  const rows = [];
  for (const { survey, results } of state.surveys) {
    for (const q of results.questions) {
      rows.push([
        SURVEY_NAMES[survey.kind],
        q.question.position,
        q.question.prompt,
        q.question.kind === "SCALE_1_5" ? "Scale 1–5" : "Written",
        q.answers,
        csvNumber(q.average, separator),
        ...(q.question.kind === "SCALE_1_5" ? q.distribution : ["", "", "", "", ""]),
      ]);
    }
  }
  save(
    section,
    "survey-results",
    ["Survey", "Question", "Prompt", "Kind", "Answers", "Average", "1", "2", "3", "4", "5"],
    rows,
  );
  alertBox("The survey results were exported.", { kind: "success" });
}

async function main() {
  replace($("#separator"), separatorPicker());
  const section = await startSection();
  if (!section) return;
  await followSection(section, refresh, {
    kinds: [
      "REQUEST_SENT",
      "REQUEST_ACCEPTED",
      "REQUEST_REJECTED",
      "REQUEST_WITHDRAWN",
      "REQUEST_EXPIRED",
      "REQUEST_CLOSED_MENTOR_FULL",
      "MENTOR_AVAILABILITY_CHANGED",
      "STUDENT_PROFILE_CHANGED",
      "BRIEFING_CHANGED",
      "SURVEY_CHANGED",
      "SURVEY_ANSWERED",
      "MEETING_RECORDED",
      "MATCH_NUDGED",
      "PERSON_ERASED",
    ],
  });
  showDates(section.programme);
  $("#print").addEventListener("click", () => window.print());
  for (const [id, action] of [
    ["#export-figures", exportFigures],
    ["#export-supply", exportSupply],
    ["#export-surveys", exportSurveys],
  ]) {
    $(id).addEventListener("click", () => {
      try {
        action(section);
      } catch (error) {
        showError(error);
      }
    });
  }
}

main();
