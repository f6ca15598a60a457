// The console's surveys: define the halfway check-in and the final feedback (scale and text
// questions), watch the response rate rise as answers arrive (SURVEY_ANSWERED events), read the
// results as charts and the written answers without names, and export every answer as CSV.

import { followSection, openDialog, startSection, todayIn } from "./console-kit.js";
import { csvSeparator, download, separatorPicker, slug } from "./csv.js";
import { $, alertBox, badge, busy, formatDate, h, pluralise, replace, showError } from "./ui.js";

const SURVEYS = `
  query Surveys($programmeId: ID) {
    surveys(programmeId: $programmeId) {
      id kind title opensOn closesOn isOpen questions { id position kind prompt }
    }
  }`;
const RESULTS = `
  query Results($id: ID!) {
    surveyResults(surveyId: $id) {
      expectedResponses responses mentorResponses studentResponses responseRate
      questions { question { id position kind prompt } answers average distribution textAnswers }
    }
  }`;
const DEFINE = `
  mutation Define($programmeId: ID, $input: DefineSurveyInput!) {
    defineSurvey(programmeId: $programmeId, input: $input) { id }
  }`;
const CSV = `
  query Csv($id: ID!, $semicolons: Boolean!) { surveyResultsCsv(surveyId: $id, semicolons: $semicolons) }`;

const KINDS = {
  HALFWAY: {
    name: "Halfway check-in",
    title: "The halfway check-in",
    questions: [
      ["SCALE_1_5", "How useful have your meetings been so far?"],
      ["TEXT", "What would make the rest of the programme better?"],
    ],
  },
  FINAL: {
    name: "Final feedback",
    title: "The final feedback",
    questions: [
      ["SCALE_1_5", "How useful was the mentoring for you?"],
      ["SCALE_1_5", "How likely are you to take part again?"],
      ["TEXT", "What should we change next year?"],
    ],
  },
};
const SVG = "http://www.w3.org/2000/svg";
const state = { surveys: [], editing: null };

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  for (const child of children) element.append(child instanceof Node ? child : String(child));
  return element;
}

const average = (value) => (value === null ? "–" : value.toFixed(1));

// How many answered 1 to 5, as five bars; the numbers are in the label for screen readers.
function distributionChart(result) {
  const max = Math.max(1, ...result.distribution);
  const width = 320;
  const row = 22;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${row * 5 + 4}`,
    role: "img",
    "aria-label":
      `${result.question.prompt} Answers: ` +
      result.distribution.map((n, i) => `${i + 1}: ${n}`).join(", ") +
      `. Average ${average(result.average)}.`,
  });
  result.distribution.forEach((count, i) => {
    const y = i * row + 2;
    const bar = Math.round((count / max) * (width - 70));
    svg.append(
      s("text", { x: 0, y: y + 14, class: "axis-label" }, String(i + 1)),
      s("rect", { x: 18, y: y + 3, width: Math.max(bar, count ? 2 : 0), height: 14, rx: 3, class: "bar-answers" }),
      s("text", { x: 24 + bar, y: y + 14, class: "value" }, String(count)),
    );
  });
  return h("div", { class: "chart survey-chart" }, svg);
}

function questionResult(result) {
  const q = result.question;
  if (q.kind === "SCALE_1_5") {
    return h(
      "li",
      { class: "question-result", "data-question": q.position },
      h("h4", {}, `${q.position}. ${q.prompt}`),
      h(
        "p",
        { class: "hint" },
        result.answers
          ? `Average ${average(result.average)} of 5, from ${pluralise(result.answers, "answer")}`
          : "No answers yet",
      ),
      distributionChart(result),
    );
  }
  return h(
    "li",
    { class: "question-result", "data-question": q.position },
    h("h4", {}, `${q.position}. ${q.prompt}`),
    result.textAnswers.length
      ? h(
          "ul",
          { class: "text-answers", "aria-label": `Written answers to question ${q.position}` },
          result.textAnswers.map((text) => h("li", {}, text)),
        )
      : h("p", { class: "hint" }, "No written answers yet."),
  );
}

function phaseBadge(survey) {
  if (!survey.opensOn) return badge("HIDDEN", "No dates set");
  const dates = `${formatDate(survey.opensOn)} – ${formatDate(survey.closesOn, { year: "numeric" })}`;
  return survey.isOpen ? badge("PUBLISHED", `Open: ${dates}`) : badge("DRAFT", dates);
}

function surveyCard(section, kind, survey, results) {
  const meta = KINDS[kind];
  const titleId = `survey-${kind}-title`;
  const edit = h(
    "button",
    { class: "btn btn-small", type: "button", id: `define-${kind}` },
    survey ? "Change the survey" : "Define the survey",
  );
  edit.addEventListener("click", () => openEditor(section, kind, survey));
  const exportButton = h(
    "button",
    { class: "btn btn-small", type: "button", id: `export-${kind}`, hidden: !survey },
    "Export answers (CSV)",
  );
  exportButton.addEventListener("click", () =>
    busy(exportButton, () => exportAnswers(section, survey).catch((error) => showError(error))),
  );
  const head = h(
    "div",
    { class: "card-head" },
    h("h2", { id: titleId }, meta.name, survey ? h("span", { class: "sub" }, survey.title) : null),
    h("div", { class: "actions" }, survey ? phaseBadge(survey) : null, edit, exportButton),
  );
  if (!survey) {
    return h(
      "section",
      { class: "card", "aria-labelledby": titleId, id: `survey-${kind}` },
      head,
      h("p", { class: "empty" }, "Not defined yet: write its questions, and set its dates."),
    );
  }
  const rate = Math.round(results.responseRate * 100);
  const progress = h("div", { class: "rate-bar", "aria-hidden": "true" }, h("span", {}));
  progress.firstChild.style.width = `${Math.min(100, rate)}%`;
  return h(
    "section",
    { class: "card", "aria-labelledby": titleId, id: `survey-${kind}` },
    head,
    h(
      "div",
      { class: "response-rate" },
      h(
        "p",
        { class: "rate", "data-rate": kind },
        h("strong", {}, `${rate}%`),
        ` answered: ${results.responses} of ${pluralise(results.expectedResponses, "expected answer")} `,
        h(
          "span",
          { class: "sub" },
          `${pluralise(results.mentorResponses, "mentor")}, ${pluralise(results.studentResponses, "student")}`,
        ),
      ),
      progress,
    ),
    h("ol", { class: "question-results" }, results.questions.map(questionResult)),
  );
}

async function refresh(section) {
  const { surveys } = await section.api.request(SURVEYS, { programmeId: section.programme.id });
  state.surveys = surveys;
  const cards = [];
  for (const kind of Object.keys(KINDS)) {
    const survey = surveys.find((x) => x.kind === kind) || null;
    const results = survey ? (await section.api.request(RESULTS, { id: survey.id })).surveyResults : null;
    cards.push(surveyCard(section, kind, survey, results));
  }
  // Keep focus where it was when a card is redrawn under it.
  const focused = document.activeElement && document.activeElement.id;
  replace($("#surveys"), cards);
  if (focused && $(`#${focused}`)) $(`#${focused}`).focus();
}

// ---- Defining a survey ----------------------------------------------------------------------

function questionRow(kind = "SCALE_1_5", prompt = "") {
  const item = h("li", { class: "question-row" });
  const select = h(
    "select",
    { class: "question-kind" },
    h("option", { value: "SCALE_1_5", selected: kind === "SCALE_1_5" }, "Scale 1–5"),
    h("option", { value: "TEXT", selected: kind === "TEXT" }, "Written answer"),
  );
  const input = h("input", { type: "text", class: "question-prompt", maxlength: 500, value: prompt });
  const remove = h("button", { type: "button", class: "btn btn-small btn-danger" }, "Remove");
  remove.addEventListener("click", () => {
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    numberQuestions();
    (next ? next.querySelector("input") : $("#survey-add")).focus();
  });
  item.append(
    h("label", { class: "question-label" }),
    h("div", { class: "question-fields" }, select, input, remove),
  );
  return item;
}

// Labels say which question each control is for: "Question 2", "Question 2: kind".
function numberQuestions() {
  [...$("#survey-questions").children].forEach((item, i) => {
    const n = i + 1;
    const prompt = item.querySelector(".question-prompt");
    prompt.id = `question-${n}`;
    const text = item.querySelector(".question-label");
    text.setAttribute("for", prompt.id);
    text.textContent = `Question ${n}`;
    item.querySelector(".question-kind").setAttribute("aria-label", `Question ${n}: kind of answer`);
    item.querySelector(".btn-danger").setAttribute("aria-label", `Remove question ${n}`);
  });
}

function openEditor(section, kind, survey) {
  state.editing = kind;
  const meta = KINDS[kind];
  replace($("#survey-error"));
  replace($("#survey-dialog-title"), `${survey ? "Change" : "Define"} the ${meta.name.toLowerCase()}`);
  $("#survey-title").value = survey ? survey.title : meta.title;
  const phase = section.programme.phases.find((p) => p.phase === `${kind}_SURVEY`);
  $("#survey-opens").value = (survey && survey.opensOn) || (phase && phase.opensOn) || "";
  $("#survey-closes").value = (survey && survey.closesOn) || (phase && phase.closesOn) || "";
  const questions = survey ? survey.questions.map((q) => [q.kind, q.prompt]) : meta.questions;
  replace($("#survey-questions"), questions.map(([k, p]) => questionRow(k, p)));
  numberQuestions();
  openDialog($("#survey-dialog"), $("#survey-title"));
}

async function save(section) {
  const error = $("#survey-error");
  const input = {
    kind: state.editing,
    title: $("#survey-title").value,
    opensOn: $("#survey-opens").value || null,
    closesOn: $("#survey-closes").value || null,
    questions: [...$("#survey-questions").children].map((item) => ({
      kind: item.querySelector(".question-kind").value,
      prompt: item.querySelector(".question-prompt").value,
    })),
  };
  try {
    await section.api.request(DEFINE, { programmeId: section.programme.id, input });
    $("#survey-dialog").close();
    alertBox(`The ${KINDS[input.kind].name.toLowerCase()} was saved.`, { kind: "success" });
    section.refresh();
  } catch (failure) {
    replace(error, failure.message); // the API's own sentence
  }
}

// ---- Export ---------------------------------------------------------------------------------

async function exportAnswers(section, survey) {
  const semicolons = csvSeparator() === ";";
  const data = await section.api.request(CSV, { id: survey.id, semicolons });
  const name = `${slug(section.programme.name)}-${slug(KINDS[survey.kind].name)}-${todayIn(section.programme.timezone)}.csv`;
  download(name, data.surveyResultsCsv);
  alertBox(`The answers to ${survey.title} were exported.`, { kind: "success" });
}

// ---- Wiring ---------------------------------------------------------------------------------

async function main() {
  replace($("#separator"), separatorPicker());
  const section = await startSection();
  if (!section) return;
  await followSection(section, refresh, {
    kinds: ["SURVEY_ANSWERED", "SURVEY_CHANGED", "REQUEST_ACCEPTED", "PROGRAMME_CHANGED"],
  });
  $("#survey-add").addEventListener("click", () => {
    const row = questionRow("TEXT");
    $("#survey-questions").append(row);
    numberQuestions();
    row.querySelector("input").focus();
  });
  $("#survey-cancel").addEventListener("click", () => $("#survey-dialog").close());
  $("#survey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("#survey-save"), () => save(section));
  });
}

main();
