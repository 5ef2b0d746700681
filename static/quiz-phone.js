// The quiz on a phone: a nickname, the countdown, right or wrong after the reveal, the score
// and the leaderboard (docs/audience.md, "Quiz").
//
// The score belongs to this browser's device id (the signed cookie), so after a reload the
// join ack's `me` brings it back. Nicknames are other people's text: shown with textContent.

import { explain } from "./audience.js";
import { countdown, renderLeaderboard, syncClock } from "./quiz-view.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class Player {
  constructor(channel, say, timeUp) {
    this.channel = channel;
    this.say = say;
    this.timeUp = timeUp; // called when the countdown ends, to redraw the answer buttons
    this.me = { nickname: null, points: 0, rank: null };
    this.told = null; // the poll id whose outcome was said
    $("nickname-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.rename($("nickname").value.trim());
    });
  }

  async rename(nickname) {
    if (!nickname) return;
    const ack = await this.channel.send("nickname", { nickname });
    if (!ack.ok) {
      $("nickname-note").textContent = ack.error?.code === "conflict"
        ? t("That nickname is taken: choose another.") : explain(ack, t("a nickname"));
      return;
    }
    $("nickname-note").textContent = t("Saved: you play as {nickname}.",
                                       { nickname: ack.nickname });
    this.setMe({ ...this.me, nickname: ack.nickname });
  }

  setMe(me) {
    if (!me) return;
    this.me = me;
    const field = $("nickname");
    if (me.nickname && document.activeElement !== field) field.value = me.nickname;
    $("my-score").textContent = me.rank
      ? t("Your score: {points} points, place {rank}", { points: me.points, rank: me.rank })
      : t("Your score: {points} points", { points: me.points });
  }

  /** A new view of the poll (`view`), with this device's answer `mine` (a string or null). */
  update(view, mine) {
    syncClock(view);
    const p = view.poll;
    if (view.me) this.setMe(view.me);
    const quiz = p?.kind === "quiz";
    $("player").hidden = !(quiz || view.leaderboard || this.me.nickname || this.me.points);
    countdown($("countdown"), quiz ? p : null, this.timeUp);
    const board = view.leaderboard;
    $("leaderboard-box").hidden = !board;
    if (board) renderLeaderboard($("leaderboard"), board);
    $("leaderboard-title").textContent = view.finale ? t("Final leaderboard") : t("Leaderboard");
    const outcome = $("quiz-outcome");
    const revealed = quiz && p.revealed && typeof p.correct === "number";
    outcome.hidden = !revealed;
    for (const button of document.querySelectorAll("#poll-answer button.option")) {
      const value = Number(button.dataset.answer);
      button.classList.toggle("correct", revealed && value === p.correct);
      button.classList.toggle("wrong", revealed && mine === String(value) && value !== p.correct);
    }
    if (revealed && this.told !== p.id) {
      this.told = p.id;
      this.tell(p, mine);
    }
  }

  async tell(p, mine) {
    const ack = await this.channel.send("me", {});
    if (ack.ok) this.setMe(ack);
    const right = p.options[p.correct];
    let text;
    if (mine === null || mine === undefined) text = t("The answer was: {answer}", { answer: right });
    else if (Number(mine) === p.correct) {
      text = t("Right! +{points} points", { points: ack.ok ? ack.earned : "?" });
    } else text = t("Not this time: the answer was {answer}", { answer: right });
    const outcome = $("quiz-outcome");
    outcome.textContent = text;
    outcome.dataset.right = String(mine !== null && Number(mine) === p.correct);
    this.say(text);
  }
}
