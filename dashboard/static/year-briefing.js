// The briefing for the person's role (mentors' and students' sessions are separate): each
// session's time, place or link and places left; sign up, move to another session, cancel. A
// refusal (the session filled up meanwhile, it has begun) is shown in the server's own words.

import { alertBox, busy, formatDate, formatDateTime, h, pluralise, replace } from "./ui.js";
import { localDate } from "./year-dates.js";

const SESSION = "id startsAt durationMinutes place onlineUrl capacity placesLeft signedUp";
const SIGN_UP = `mutation SignUpForBriefing($id: ID!) {
  signUpForBriefing(briefingId: $id) { ${SESSION} } }`;
const CANCEL = `mutation CancelBriefingSignUp($id: ID!) {
  cancelBriefingSignUp(briefingId: $id) { ${SESSION} } }`;

const AUDIENCE = { MENTOR: "mentors", STUDENT: "students" };

export function briefingPanel(year) {
  const intro = h("p", { class: "hint", id: "year-briefing-intro" });
  const error = h("p", { class: "form-error", id: "year-briefing-error", role: "alert" });
  const list = h("ul", { class: "cards", id: "year-briefings" });
  const empty = h(
    "p",
    { class: "empty", id: "year-briefings-empty", hidden: true },
    "No session is scheduled yet: the coordinators announce them here.",
  );
  const element = h(
    "section",
    { class: "card", id: "year-briefing", "aria-labelledby": "year-briefing-title" },
    h("div", { class: "card-head" }, h("h2", { id: "year-briefing-title" }, "Briefing"), intro),
    error,
    list,
    empty,
  );

  const act = (button, mutation, session, success) =>
    busy(button, async () => {
      try {
        await year.api.request(mutation, { id: session.id });
        replace(error);
        alertBox(success, { kind: "success" });
      } catch (failure) {
        replace(error, failure.message);
      }
      await year.refresh();
      // The button pressed is gone with the list it was in: focus stays on its session.
      const card = list.querySelector(`[data-briefing="${session.id}"]`);
      if (card) card.focus();
    });

  function card(session, { tz, today, elsewhere }) {
    const when = formatDateTime(session.startsAt, tz);
    const past = localDate(session.startsAt, tz) < today;
    const titleId = `briefing-${session.id.replace(/[^A-Za-z0-9]/g, "")}`;
    let button = null;
    let status;
    if (session.signedUp) {
      status = past ? "You took part." : "You are signed up.";
      if (!past) {
        button = h(
          "button",
          { class: "btn", type: "button", "aria-describedby": titleId },
          "Cancel sign-up",
        );
        button.addEventListener("click", () =>
          act(button, CANCEL, session, `You are no longer signed up for the briefing on ${when}.`),
        );
      }
    } else if (past) {
      status = "Held already.";
    } else if (session.placesLeft > 0) {
      status = `${pluralise(session.placesLeft, "place")} left of ${session.capacity}.`;
      button = h(
        "button",
        { class: "btn btn-primary", type: "button", "aria-describedby": titleId },
        elsewhere ? "Move to this session" : "Sign up",
      );
      button.addEventListener("click", () =>
        act(button, SIGN_UP, session, `You are signed up for the briefing on ${when}.`),
      );
    } else {
      status = "Full: choose another session.";
    }
    return h(
      "li",
      {
        class: "card profile-card briefing",
        "data-briefing": session.id,
        "data-signed-up": session.signedUp,
        "data-full": session.placesLeft === 0,
        tabindex: "-1",
        "aria-labelledby": titleId,
      },
      h("h3", { id: titleId }, when),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Length"),
        h("dd", {}, `${session.durationMinutes} minutes`),
        session.place ? [h("dt", {}, "Place"), h("dd", {}, session.place)] : null,
        session.onlineUrl
          ? [
              h("dt", {}, "Online"),
              h("dd", {}, h("a", { href: session.onlineUrl, rel: "noopener" }, session.onlineUrl)),
            ]
          : null,
      ),
      h("p", { class: `briefing-status ${session.signedUp ? "contact" : "hint"}` }, status),
      button ? h("div", { class: "actions" }, button) : null,
    );
  }

  function render() {
    const { programme, briefingSessions } = year.data;
    const phase = programme.phases.find((p) => p.phase === "BRIEFINGS");
    replace(
      intro,
      `The briefing for ${AUDIENCE[year.role]}`,
      phase
        ? `, ${formatDate(phase.opensOn)} – ${formatDate(phase.closesOn, { year: "numeric" })}`
        : "",
      ". Sign up for one session; you can move or cancel until it begins.",
    );
    const elsewhere = briefingSessions.some((b) => b.signedUp);
    const context = { tz: programme.timezone, today: programme.today, elsewhere };
    replace(list, briefingSessions.map((session) => card(session, context)));
    empty.hidden = briefingSessions.length > 0;
  }

  return { element, render };
}
