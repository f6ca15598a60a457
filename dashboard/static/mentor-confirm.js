// Asking a mentor before a change that answers students who wait: taking the profile off the
// list (every waiting request is declined), and lowering capacity below what is waiting or
// already held (rule 6, docs/rules.md). Each dialog says how many students are told, and what
// they read. Used by the inbox (mentor.js) and the profile page (mentor-profile.js).

import { h, pluralise } from "./ui.js";

// What students read: the request's reason, and the email services/mail.py,
// request_declined, sends (services/mentors.py, set_published; services/requests.py,
// MENTOR_FULL_REASON).
const WITHDRAWN_REASON = "The mentor withdrew from the programme.";
const ASK_SOMEONE_ELSE = "They can ask another mentor straight away.";

const names = (waiting) => {
  const all = waiting.map((r) => r.student.displayName);
  return all.length < 2 ? all.join("") : `${all.slice(0, -1).join(", ")} and ${all.at(-1)}`;
};

const students = (count) => pluralise(count, "student");

// A modal <dialog>: focus starts on the safe choice, Escape cancels, and focus goes back to
// where it was. Resolves true when the mentor confirms.
function ask({ id, title, body, confirm }) {
  const opener = document.activeElement;
  const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
  const yes = h("button", { class: "btn btn-danger", type: "button" }, confirm);
  const dialog = h(
    "dialog",
    { id, "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-body` },
    h("h2", { id: `${id}-title` }, title),
    h("div", { id: `${id}-body`, class: "confirm-body" }, body),
    h("div", { class: "actions" }, cancel, yes),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
      // After the caller has had its answer: the button that asked may be busy until then.
      setTimeout(() => {
        if (opener && opener.isConnected) opener.focus();
      }, 0);
    };
    cancel.addEventListener("click", () => done(false));
    yes.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      done(false);
    });
    dialog.showModal();
    cancel.focus();
  });
}

function quoted(text) {
  return h("blockquote", { class: "message" }, text);
}

// `profile`: the mentor (displayName, acceptedCount, programme { name }); `waiting`: the
// requests still pending, with the student's name.
export function confirmTakeOff(profile, waiting) {
  const count = waiting.length;
  const body = [
    h(
      "p",
      { id: "take-off-count" },
      count === 0
        ? "No student is waiting for your answer."
        : h(
            "strong",
            {},
            `${students(count)} ${count === 1 ? "is" : "are"} waiting for your answer: `,
            names(waiting),
            ".",
          ),
    ),
  ];
  if (count > 0) {
    body.push(
      h(
        "p",
        {},
        `Taking your profile off the list declines ${count === 1 ? "that request" : "those requests"} ` +
          "at once. Each student is told on their page and by email, and reads:",
      ),
      quoted(
        `${profile.displayName} cannot take you on as a mentee in ${profile.programme.name}. ` +
          `Their reason: ${WITHDRAWN_REASON}`,
      ),
      h("p", {}, ASK_SOMEONE_ELSE),
    );
  }
  body.push(
    h(
      "p",
      { class: "hint" },
      "Students will no longer find you. ",
      profile.acceptedCount > 0 ? "The mentees you have accepted stay your mentees. " : "",
      "You can publish your profile again while mentor sign-up is open.",
    ),
  );
  return ask({
    id: "take-off-dialog",
    title: "Take your profile off the list?",
    body,
    confirm: count === 0 ? "Take off the list" : `Take off the list and tell ${students(count)}`,
  });
}

// What lowering capacity to `capacity` does to the students waiting, or null when it touches
// nobody (then there is nothing to ask).
function capacityEffect(profile, waiting, capacity) {
  const count = waiting.length;
  if (!profile || capacity >= profile.capacity || count === 0) return null;
  if (capacity < profile.acceptedCount) return null; // refused by the API with its own sentence
  if (capacity === profile.acceptedCount) return { closesNow: count };
  const places = capacity - profile.acceptedCount;
  return places < count ? { closesNow: 0, places } : null;
}

export function confirmCapacity(profile, waiting, capacity) {
  const effect = capacityEffect(profile, waiting, capacity);
  if (!effect) return Promise.resolve(true);
  const count = waiting.length;
  const body = [
    h(
      "p",
      { id: "capacity-count" },
      h(
        "strong",
        {},
        `${students(count)} ${count === 1 ? "is" : "are"} waiting for your answer: `,
        names(waiting),
        ".",
      ),
    ),
  ];
  if (effect.closesNow) {
    body.push(
      h(
        "p",
        {},
        `With ${pluralise(capacity, "mentee")}, every place is taken by the mentees you have ` +
          `accepted: you leave the list, and ${count === 1 ? "that request closes" : "those requests close"} ` +
          "at once. Each student is told on their page and by email, and reads:",
      ),
      quoted(
        `${profile.displayName} has filled every mentee place in ${profile.programme.name}, ` +
          "so your request to them is closed.",
      ),
      h("p", {}, ASK_SOMEONE_ELSE),
    );
  } else {
    body.push(
      h(
        "p",
        {},
        `You will have ${pluralise(effect.places, "place")} for ${students(count)}. Their ` +
          "requests stay open; once you accept enough of them to fill your places, the others " +
          "close at once and those students are told that you have filled every place.",
      ),
    );
  }
  return ask({
    id: "capacity-dialog",
    title: `Take ${pluralise(capacity, "mentee")} instead of ${profile.capacity}?`,
    body,
    confirm: effect.closesNow ? `Lower and tell ${students(count)}` : "Lower capacity",
  });
}
