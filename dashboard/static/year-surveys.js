// An open survey (the halfway check-in or the final feedback) about one match: its questions by
// kind (a scale of 1 to 5, or free text), answered once; afterwards it says "done" and cannot be
// answered again. A refusal (answered already, from another tab; closed meanwhile) is shown in
// the server's own words.

import { alertBox, busy, formatDate, h, localId, replace } from "./ui.js";
import { surveyAnchor } from "./year-dates.js";

const ANSWER = `mutation AnswerSurvey(
  $surveyId: ID!, $matchId: ID!, $answers: [SurveyAnswerInput!]!
) {
  answerSurvey(surveyId: $surveyId, matchId: $matchId, answers: $answers) { id submittedAt } }`;

function scaleQuestion(question, name) {
  const legendId = `${name}-legend`;
  return h(
    "fieldset",
    { class: "scale", "data-question": question.id },
    h("legend", { id: legendId }, question.prompt),
    h("p", { class: "hint" }, "1 is the lowest, 5 the highest."),
    h(
      "div",
      { class: "scale-options" },
      [1, 2, 3, 4, 5].map((n) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name, value: n, required: true }),
          String(n),
        ),
      ),
    ),
  );
}

function textQuestion(question, id) {
  return h(
    "div",
    { class: "field", "data-question": question.id },
    h("label", { for: id }, question.prompt, h("span", { class: "hint" }, " (optional)")),
    h("textarea", { id, maxlength: 4000, rows: 3 }),
  );
}

export function surveyBox(year, match, task, partnerName) {
  const key = `${localId(task.survey.id)}-${localId(match.id)}`;
  const titleId = `survey-title-${key}`;
  const element = h("div", {
    // The survey letter's link names this (services/surveys.py): year.js brings it into view.
    id: surveyAnchor(match.id, task.survey.id),
    tabindex: "-1",
    class: "survey",
    "data-survey": task.survey.id,
    "aria-labelledby": titleId,
    role: "group",
  });
  const title = h("h3", { id: titleId }, task.survey.title);
  const refused = h("p", { class: "form-error", role: "alert" });
  const questions = [...task.survey.questions].sort((a, b) => a.position - b.position);
  const fields = questions.map((q) =>
    q.kind === "SCALE_1_5"
      ? scaleQuestion(q, `q-${key}-${localId(q.id)}`)
      : textQuestion(q, `q-${key}-${localId(q.id)}`),
  );
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, "Send answers");
  const until = task.survey.closesOn
    ? ` Open until ${formatDate(task.survey.closesOn, { year: "numeric" })}.`
    : "";
  const form = h(
    "form",
    { class: "survey-form", "aria-labelledby": titleId },
    h("p", { class: "hint" }, `About your mentoring with ${partnerName}. You answer once.${until}`),
    fields,
    refused,
    submit,
  );
  const done = h("p", { class: "contact survey-done", tabindex: "-1" });
  let answered = false;

  function answers() {
    return questions.map((q, i) => {
      const field = fields[i];
      if (q.kind === "SCALE_1_5") {
        const checked = field.querySelector("input:checked");
        return { questionId: q.id, scale: checked ? Number(checked.value) : null };
      }
      return { questionId: q.id, text: field.querySelector("textarea").value.trim() };
    });
  }

  function showDone(refusal = null) {
    answered = true;
    replace(done, h("strong", {}, "Done."), ` You answered “${task.survey.title}”. Thank you!`);
    const why = refusal ? h("p", { class: "form-error", role: "alert" }, refusal) : null;
    replace(element, title, done, why);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        await year.api.request(ANSWER, {
          surveyId: task.survey.id,
          matchId: match.id,
          answers: answers(),
        });
        showDone();
        done.focus();
        alertBox(`Thank you: your answers to “${task.survey.title}” are in.`, { kind: "success" });
        await year.refresh();
      } catch (failure) {
        if (failure.code === "ALREADY_ANSWERED") {
          showDone(failure.message);
          done.focus();
          await year.refresh();
        } else {
          replace(refused, failure.message);
        }
      }
    });
  });

  function render(current) {
    if (current.answered && !answered) showDone();
    else if (!current.answered && !element.contains(form)) replace(element, title, form);
  }

  return { element, render };
}
