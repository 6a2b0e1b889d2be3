"""The trainer's view of a workshop, computed from the progress record (one implementation:
the trainer page of the app, `refundkit.app.trainer`, and the dashboard notebook both read it).

    dash = Dashboard(store)            # or Dashboard.sample() for a generated workshop
    dash.learners()      # per learner: progress per exercise, the question they are on, wrong tries
                         # in a row, minutes idle, stuck (STUCK_AFTER wrong tries in a row)
    dash.questions()     # per question: its text, first-try error rate, the most common wrong answer,
                         # the SOP rule behind it with its title
    dash.retraining()    # passes recorded under an earlier SOP whose change moved that question's answer
    dash.chart_exercises(), dash.chart_rules()   # what the room gets wrong most, Chinese labels
    dash.grid()          # learners x exercises: score (right at first try) and done (every question put right)
    dash.most_missed()   # questions missed most at the first try, the wrong answer chosen most, the SOP rule
    dash.outdated()      # learners whose checks were made under an older SOP version: refresher needed
    dash.chart_missed(), dash.chart_scores()   # matplotlib, Chinese labels (refundkit.plotting)
    dash.live_panel()    # a refresh button that re-reads the live database

`demo_workshop(store, ...)` fills a database with a deterministic sample room
(fixed seed and clock); `refundkit progress demo` calls it. Column titles and
chart words come from the SOP's `ui:` table.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import textwrap
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from .exercises.bank import Bank, Question, default_bank
from .exercises.check import check
from .exercises.key import Key, answer_key, answer_words, rule_text
from .processes import alive
from .progress import Attempt, ProgressStore
from .sop import Sop, default_sop

# A sample room: invented names, the only personal data the store keeps.
DEMO_LEARNERS = ("王芳", "李雷", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴昊", "徐丽", "孙强")
DEMO_SEED = 20261120
FRAME_COLUMNS = ["id", "learner", "exercise", "question", "answer", "correct", "sop_version", "at", "key"]
STUCK_AFTER = 3  # wrong tries in a row: the trainer goes over


def exercise_short(title: str) -> str:
    """An exercise's short name: its title up to the colon ("练习1:这个案例..." -> "练习1")."""
    for sep in ("\uff1a", ":"):
        if sep in title:
            return title.split(sep, 1)[0].strip()
    return title


def chart_label(text: str, width: int = 28) -> str:
    """A label matplotlib draws as written: `$` escaped (it would start math), long text wrapped
    onto lines of `width` characters, never cut (an English title is twice as long as a Chinese one)."""
    lines = textwrap.wrap(text, width) or [""]
    return "\n".join(lines).replace("$", r"\$")


def older_version(version: str) -> str:
    """A plausible previous version number (1.2.3 -> 1.2.2, 1.2.0 -> 1.1.0, 1.0.0 -> 0.9.0)."""
    major, minor, patch = (int(x) for x in version.split("."))
    if patch:
        return f"{major}.{minor}.{patch - 1}"
    if minor:
        return f"{major}.{minor - 1}.0"
    return f"{max(major - 1, 0)}.9.0"


def _typical_mistake(q: Question, key: Any, rng: random.Random) -> Any:
    """A wrong answer of the kind people really give, as the widget would send it."""
    if q.form == "choice":
        wrong = [c for c in q.choices if c != key]
        return rng.choices(wrong, weights=[6, 2, 1][: len(wrong)] + [1] * max(0, len(wrong) - 3))[0]
    if q.form == "number":
        if q.kind == "deadline":
            return str(key + 24)  # counted a day too many
        if q.kind == "amount" and q.case:
            a = q.case["amounts"]
            paid = sum(Decimal(str(a.get(k, "0"))) for k in ("goods", "shipping"))
            return str(paid if paid != key else key + 1)  # forgot the coupon and discount
        return str(key + 1)
    if q.form == "order":
        items = list(key)
        i = rng.randrange(len(items) - 1)
        items[i], items[i + 1] = items[i + 1], items[i]
        return items
    items = list(key)
    extra = [c for c in q.choices if c not in items]
    if extra and (not items or rng.random() < 0.6):
        return items + [extra[0]]
    return items[:-1]


def demo_workshop(store: ProgressStore, sop: Sop | None = None, bank: Bank | None = None,
                  learners: int = len(DEMO_LEARNERS), seed: int = DEMO_SEED,
                  start: datetime | None = None) -> int:
    """Fill `store` with a sample workshop; returns the number of checks written. Deterministic."""
    sop = sop or default_sop()
    bank = bank or default_bank()
    rng = random.Random(seed)
    start = start or bank.training_clock.replace(hour=14, minute=0)
    old = older_version(sop.version)
    difficulty = {q.id: rng.uniform(0.05, 0.55) for q in bank.questions}
    keys = {q.id: answer_key(q, sop) for q in bank.questions}
    names = [DEMO_LEARNERS[i % len(DEMO_LEARNERS)] + ("" if i < len(DEMO_LEARNERS) else str(i))
             for i in range(learners)]
    attempts: list[Attempt] = []
    for n, name in enumerate(names):
        # Most finish everything; a few are still working; three practised the first two earlier.
        reach = len(bank.exercises) if n % 4 else rng.randint(3, len(bank.exercises) - 1)
        earlier = n in (1, 5, 9)
        at = start + timedelta(minutes=rng.randint(0, 10))
        skill = rng.uniform(0.6, 1.4)
        for e, ex in enumerate(bank.exercises[:reach]):
            version = old if earlier and e < 2 else sop.version
            when = at - timedelta(days=14) if version == old else at
            qs = bank.questions_of(ex.id)
            last = len(qs) if e < reach - 1 or n % 4 else rng.randint(1, len(qs))
            for q in qs[:last]:
                key = keys[q.id]
                tries = []
                if rng.random() < difficulty[q.id] * skill:
                    tries.append(_typical_mistake(q, key.answer, rng))
                    if rng.random() < 0.3:
                        tries.append(_typical_mistake(q, key.answer, rng))
                tries.append(list(key.answer) if isinstance(key.answer, tuple) else key.plain())
                for raw in tries:
                    fb = check(q, raw, sop, key=key)
                    when += timedelta(seconds=rng.randint(20, 150))
                    attempts.append(Attempt(name, ex.id, q.id, fb.answer, fb.correct, version, when, key.plain(), demo=True))
            at += timedelta(minutes=ex.minutes)
    store.record_many(attempts)
    return len(attempts)


def _answer_value(q: Question, plain: Any) -> Any:
    if q.form == "number":
        return Decimal(str(plain))
    if q.form in ("order", "multi"):
        return tuple(plain)
    return plain


SAMPLE_PREFIX = "refundkit-demo-"


def _sample_folder() -> str:
    """A new temporary folder for a sample room's database, named after this process. Folders that
    processes now gone left behind (a kernel stopped at once runs no exit handler) are removed first."""
    for old in Path(tempfile.gettempdir()).glob(SAMPLE_PREFIX + "*-*"):
        pid = old.name[len(SAMPLE_PREFIX):].partition("-")[0]
        try:
            if pid.isdigit() and not alive(int(pid)) and old.stat().st_uid == os.getuid():
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # removed meanwhile by another process
            pass
    return tempfile.mkdtemp(prefix=f"{SAMPLE_PREFIX}{os.getpid()}-")


@dataclass
class Dashboard:
    store: ProgressStore
    sop: Sop | None = None
    bank: Bank | None = None
    lang: str = "zh"
    now: Any = None  # a callable giving the time "minutes idle" is counted to (the real time by default)

    def __post_init__(self) -> None:
        self.sop = self.sop or default_sop()
        self.bank = self.bank or default_bank()
        self.refresh()

    @classmethod
    def sample(cls, seed: int = DEMO_SEED, **kw) -> "Dashboard":
        """A dashboard over a generated sample workshop in a temporary database."""
        folder = _sample_folder()
        store = ProgressStore(Path(folder) / "demo.sqlite3")
        weakref.finalize(store, shutil.rmtree, folder, ignore_errors=True)  # the file goes with its store, or at exit
        demo_workshop(store, kw.get("sop"), kw.get("bank"), seed=seed)
        dash = cls(store, **kw)
        if dash.now is None:  # the sample's own clock, a few minutes after its last check: idle times stay put
            last = max(datetime.fromisoformat(str(r["at"])) for r in dash.rows)
            dash.now = lambda: last + timedelta(minutes=4)
        return dash

    def t(self, key: str) -> str:
        return self.sop.t(key, self.lang)

    def refresh(self) -> None:
        """Re-read the database."""
        self.rows = list(self.store.rows())
        self.attempts = pd.DataFrame(self.rows, columns=FRAME_COLUMNS)
        self._qrows = None
        self._keys: dict[str, Key | None] = getattr(self, "_keys", {})
        self._qids: dict[str, list[str]] = getattr(self, "_qids", {})

    # -- per learner and question -------------------------------------------------
    def _firsts(self) -> pd.DataFrame:
        """One row per (learner, question): first check right?, ever right?, checks, versions."""
        df = self.attempts
        if df.empty:
            return pd.DataFrame(columns=["learner", "exercise", "question", "first_right", "solved", "checks",
                                         "sop_version", "last"])
        g = df.sort_values("id").groupby(["learner", "exercise", "question"], sort=False)
        return g.agg(first_right=("correct", "first"), solved=("correct", "any"), checks=("id", "size"),
                     sop_version=("sop_version", "last"), last=("at", "last")).reset_index()

    def progress(self) -> pd.DataFrame:
        """Long form: learner, exercise, answered, right at first try, questions, done, SOP versions."""
        f = self._firsts()
        totals = {ex.id: len(self.bank.questions_of(ex.id)) for ex in self.bank.exercises}
        rows = []
        for (learner, ex), grp in f.groupby(["learner", "exercise"], sort=True):
            total = totals.get(ex, len(grp))
            rows.append({"learner": learner, "exercise": ex, "answered": len(grp),
                         "first_right": int(grp["first_right"].sum()), "questions": total,
                         "done": bool(grp["solved"].sum() == total),
                         "sop_version": ", ".join(sorted(set(grp["sop_version"])))})
        return pd.DataFrame(rows, columns=["learner", "exercise", "answered", "first_right", "questions", "done",
                                           "sop_version"])

    def grid(self) -> pd.DataFrame:
        """Learners x exercises: 'score/questions' and ✔ when every question was put right."""
        p = self.progress()
        cols = [ex.id for ex in self.bank.exercises]
        if p.empty:
            return pd.DataFrame(columns=cols)
        p["cell"] = p.apply(lambda r: f"{r.first_right}/{r.questions}" + (" ✔" if r.done else ""), axis=1)
        grid = p.pivot(index="learner", columns="exercise", values="cell").reindex(columns=cols).astype(object).fillna("—")
        grid.index.name = self.t("learner")
        grid.columns.name = self.t("exercise")
        return grid

    def most_missed(self, top: int = 8) -> pd.DataFrame:
        """Questions the room got wrong most at the first try, the wrong answer chosen most, the rule."""
        f = self._firsts()
        cols = [self.t("question"), self.t("learners_tried"), self.t("missed_first"), self.t("miss_rate"),
                self.t("top_wrong"), self.t("top_wrong_count"), self.t("rule_behind")]
        if f.empty:
            return pd.DataFrame(columns=cols)
        per = f.groupby("question").agg(tried=("learner", "size"), missed=("first_right", lambda s: int((~s.astype(bool)).sum())))
        per = per[per["missed"] > 0].reset_index().sort_values(["missed", "question"], ascending=[False, True])
        per = per.set_index("question").head(top)
        wrong = self.attempts[~self.attempts["correct"].astype(bool)]
        rows = []
        for qid, r in per.iterrows():
            q = self.bank.question(qid)
            answers = wrong[wrong["question"] == qid]["answer"].map(
                lambda a: json.dumps(sorted(a) if q.form == "multi" else a, ensure_ascii=False))
            counts = answers.value_counts()
            top_answer = json.loads(counts.index[0])
            key = answer_key(q, self.sop)
            rows.append([qid, int(r.tried), int(r.missed), f"{r.missed / r.tried:.0%}",
                         answer_words(q, _answer_value(q, top_answer), self.sop, self.lang), int(counts.iloc[0]),
                         rule_text(q, key, self.sop, self.lang)])
        return pd.DataFrame(rows, columns=cols)

    def outdated(self) -> pd.DataFrame:
        """Learners with checks under another SOP version than the one in use: refresher needed."""
        cols = [self.t("learner"), self.t("exercise"), self.t("sop_version"), self.t("current_version"),
                self.t("last_check")]
        df = self.attempts
        if df.empty:
            return pd.DataFrame(columns=cols)
        old = df[df["sop_version"] != self.sop.version]
        rows = []
        for (learner, ex), grp in old.groupby(["learner", "exercise"], sort=True):
            rows.append([learner, ex, ", ".join(sorted(set(grp["sop_version"]))), self.sop.version,
                         str(grp["at"].max())[:16].replace("T", " ")])
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> None:
        """One line per fact a trainer checks first."""
        df = self.attempts
        print(f"{self.t('sop_version')}: {self.sop.version}")
        print(f"{self.t('learners_tried')}: {df['learner'].nunique()}")
        print(f"{self.t('attempts')}: {len(df)}")
        if df.empty:
            print(self.t("no_records"))

    # -- the live room ---------------------------------------------------------------
    def _now(self) -> datetime:
        from .clock import system_now

        return self.now() if self.now else system_now(self.sop.tz)

    def question_title(self, qid: str, width: int = 70) -> str:
        """"<exercise> · <n>. <prompt>", cut to `width` characters: a question by its words
        (the exercise by its title up to the colon: "练习1", "Exercise 1")."""
        q = self.bank.question(qid)
        ex = self.bank.exercise(q.exercise)
        n = [x.id for x in self.bank.questions_of(ex.id)].index(qid) + 1
        text = f"{exercise_short(ex.title(self.lang))} · {n}. {q.prompt(self.lang)}"
        return text if len(text) <= width else text[: width - 1] + "…"

    def _key(self, qid: str) -> Key | None:
        """The current key of a question (cached: it depends on the SOP only), None if it has none."""
        if qid not in self._keys:
            try:
                self._keys[qid] = answer_key(self.bank.question(qid), self.sop)
            except Exception:  # noqa: BLE001 - a question the bank or the SOP no longer has: not shown
                self._keys[qid] = None
        return self._keys[qid]

    def _per_pair(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(learner, question) -> first right?, solved?, exercise; in plain Python (a room's record is small,
        and the page reads it every few seconds)."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.rows:
            st = out.get((r["learner"], r["question"]))
            if st is None:
                out[(r["learner"], r["question"])] = {"first_right": r["correct"], "solved": r["correct"],
                                                      "exercise": r["exercise"]}
            elif r["correct"]:
                st["solved"] = True
        return out

    def learners(self) -> pd.DataFrame:
        """One row per learner, most recently active first: progress per exercise (put right / questions),
        the question they are on, wrong tries in a row, minutes idle, stuck."""
        exercises = [ex.id for ex in self.bank.exercises]
        cols = ["learner", *exercises, "on_question", "wrong_in_a_row", "idle_minutes", "stuck"]
        if not self.rows:
            return pd.DataFrame(columns=cols)
        now = self._now()
        by: dict[str, list[dict[str, Any]]] = {}
        for r in self.rows:
            by.setdefault(r["learner"], []).append(r)
        out = []
        for learner, rs in sorted(by.items(), key=lambda kv: -kv[1][-1]["id"]):
            solved = {r["question"] for r in rs if r["correct"]}
            tried = {r["exercise"] for r in rs}
            row: dict[str, Any] = {"learner": learner}
            for ex in exercises:
                qs = self._questions_of(ex)
                row[ex] = f"{len(solved & set(qs))}/{len(qs)}" if ex in tried else ""
            last = rs[-1]
            row["on_question"] = self._on_question(last["question"], solved)
            streak = 0
            for r in reversed(rs):
                if r["correct"]:
                    break
                streak += 1
            row["wrong_in_a_row"] = streak
            row["idle_minutes"] = max(int((now - datetime.fromisoformat(str(last["at"]))).total_seconds() // 60), 0)
            row["stuck"] = streak >= STUCK_AFTER
            out.append(row)
        return pd.DataFrame(out, columns=cols)

    def _questions_of(self, exercise: str) -> list[str]:
        if exercise not in self._qids:
            try:
                self._qids[exercise] = [q.id for q in self.bank.questions_of(exercise)]
            except Exception:  # noqa: BLE001 - an exercise the bank no longer has
                self._qids[exercise] = []
        return self._qids[exercise]

    def _on_question(self, last_qid: str, solved: set[str]) -> str | None:
        """The question a learner is on: the last one checked while it is wrong, else the next one
        of that exercise not yet put right (None: the exercise is done)."""
        if last_qid not in solved:
            return last_qid
        qs = self._questions_of(last_qid.split(".")[0])
        if last_qid not in qs:
            return None
        i = qs.index(last_qid)
        return next((q for q in qs[i + 1:] + qs[:i] if q not in solved), None)

    def _question_rows(self) -> list[dict[str, Any]]:
        """Per question tried: learners, first-try misses, the wrong answer chosen most, the key and its rule."""
        if self._qrows is not None:
            return self._qrows
        per: dict[str, list[int]] = {}
        for (_learner, qid), st in self._per_pair().items():
            t = per.setdefault(qid, [0, 0])
            t[0] += 1
            t[1] += 0 if st["first_right"] else 1
        wrong: dict[str, dict[str, int]] = {}
        for r in self.rows:
            if not r["correct"]:
                a = r["answer"]
                text = json.dumps(sorted(a) if isinstance(a, list) and self._form(r["question"]) == "multi" else a,
                                  ensure_ascii=False)
                counts = wrong.setdefault(r["question"], {})
                counts[text] = counts.get(text, 0) + 1
        rows = []
        for qid, (tried, missed) in per.items():
            key = self._key(qid)
            if key is None:
                continue
            q = self.bank.question(qid)
            top, top_n = None, 0
            if wrong.get(qid):
                text, top_n = max(wrong[qid].items(), key=lambda kv: (kv[1], kv[0]))
                try:
                    top = answer_words(q, _answer_value(q, json.loads(text)), self.sop, self.lang)
                except Exception:  # noqa: BLE001 - an answer this SOP cannot word is shown as typed
                    top = str(json.loads(text))
            rows.append({"question": qid, "exercise": q.exercise, "tried": tried, "missed": missed,
                         "rate": missed / tried, "top_wrong": top, "top_wrong_count": top_n,
                         "rule": key.rule, "rule_text": rule_text(q, key, self.sop, self.lang)})
        self._qrows = rows
        return rows

    def _form(self, qid: str) -> str | None:
        try:
            return self.bank.question(qid).form
        except Exception:  # noqa: BLE001
            return None

    def questions(self) -> pd.DataFrame:
        """Per question tried, highest first-try error rate first: its words, learners, the rate,
        the most common wrong answer and the SOP rule behind it."""
        cols = ["question", "text", "tried", "missed", "rate", "top_wrong", "top_wrong_count", "rule_text"]
        rows = sorted((dict(r) for r in self._question_rows()), key=lambda r: (-r["rate"], -r["missed"], r["question"]))
        for r in rows:
            r["text"] = self.question_title(r["question"])
        return pd.DataFrame(rows, columns=cols)

    def retraining(self) -> pd.DataFrame:
        """Learners who passed a question under an earlier SOP version whose change moved its answer,
        and have not passed it again since: the answer then (the key they were checked against,
        as the record keeps it) and now (`refundkit.exercises.key`, as `sop impact` reviews it)."""
        cols = ["learner", "question", "text", "passed_under", "answer_then", "answer_now", "rule_now"]
        last_pass: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.rows:
            if r["correct"]:
                last_pass[(r["learner"], r["question"])] = r
        rows = []
        for (learner, qid), r in sorted(last_pass.items()):
            if r["sop_version"] == self.sop.version or r["key"] is None:
                continue  # passed under this version, or a record too old to say what they learned
            key = self._key(qid)
            if key is None or json.dumps(r["key"], ensure_ascii=False) == json.dumps(key.plain(), ensure_ascii=False):
                continue  # the SOP moved but this answer did not
            q = self.bank.question(qid)
            try:
                then = answer_words(q, _answer_value(q, r["key"]), self.sop, self.lang)
            except Exception:  # noqa: BLE001 - an id the current SOP no longer has: shown as recorded
                then = str(r["key"])
            rows.append([learner, qid, self.question_title(qid), r["sop_version"], then,
                         answer_words(q, key.answer, self.sop, self.lang), rule_text(q, key, self.sop, self.lang)])
        return pd.DataFrame(rows, columns=cols)

    def exercise_errors(self) -> pd.DataFrame:
        """Per exercise tried: first-try error rate over every (learner, question) first check."""
        per: dict[str, list[int]] = {}
        for st in self._per_pair().values():
            t = per.setdefault(st["exercise"], [0, 0])
            t[0] += 1
            t[1] += 0 if st["first_right"] else 1
        titles = {ex.id: ex.title(self.lang) for ex in self.bank.exercises}
        out = [{"exercise": e, "title": titles.get(e, e), "rate": m / n, "firsts": n} for e, (n, m) in per.items()]
        out.sort(key=lambda r: (-r["rate"], r["exercise"]))
        return pd.DataFrame(out, columns=["exercise", "title", "rate", "firsts"])

    def rule_errors(self, top: int = 8) -> pd.DataFrame:
        """Per SOP rule deciding the questions: first-try misses summed, most first."""
        per: dict[str, list[Any]] = {}
        for r in self._question_rows():
            t = per.setdefault(r["rule"], [0, r["rule_text"]])
            t[0] += r["missed"]
        out = [{"rule": k, "label": v[1], "missed": v[0]} for k, v in per.items() if v[0] > 0]
        out.sort(key=lambda r: (-r["missed"], r["rule"]))
        return pd.DataFrame(out[:top], columns=["rule", "label", "missed"])

    @staticmethod
    def _bars(labels: list[str], values: list[float], color: str, xlabel: str, title: str,
              xlim: tuple[float, float] | None = None, counts: bool = False):
        """A horizontal bar chart, first item on top, with Chinese glyphs; closed, ready to show."""
        import matplotlib.pyplot as plt

        from .plotting import use_cjk_font

        use_cjk_font()
        lines = sum(label.count("\n") + 1 for label in labels)  # a wrapped label needs the room of its lines
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(labels), 1) + 0.2 * (lines - len(labels)) + 1.2))
        ax.barh(labels[::-1], values[::-1], color=color)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        if xlim is not None:
            ax.set_xlim(*xlim)
        if counts:  # counts of people: whole numbers on the axis
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        plt.close(fig)
        return fig

    def chart_exercises(self):
        """Bar chart: the exercises by first-try error rate (labels: their titles)."""
        ee = self.exercise_errors()
        return self._bars([chart_label(t) for t in ee["title"]], [100 * r for r in ee["rate"]], "#e65100",
                          chart_label(self.t("miss_rate") + " (%)", 60), chart_label(self.t("tr_chart_exercises"), 60),
                          xlim=(0, 100))

    def chart_rules(self, top: int = 8):
        """Bar chart: the SOP rules behind the most first-try misses (labels: id and title)."""
        re_ = self.rule_errors(top)
        return self._bars([chart_label(t, 34) for t in re_["label"]], [int(v) for v in re_["missed"]], "#c62828",
                          chart_label(self.t("missed_first"), 60), chart_label(self.t("tr_chart_rules"), 60),
                          counts=True)

    # -- charts --------------------------------------------------------------------
    def chart_missed(self, top: int = 8):
        mm = self.most_missed(top)
        return self._bars([chart_label(x) for x in mm[self.t("question")]],
                          [int(v) for v in mm[self.t("missed_first")]], "#c62828",
                          self.t("missed_first"), self.t("most_missed"))

    def chart_scores(self):
        import matplotlib.pyplot as plt

        from .plotting import use_cjk_font

        use_cjk_font()
        p = self.progress()
        exercises = [ex.id for ex in self.bank.exercises]
        learners = sorted(p["learner"].unique()) if not p.empty else []
        frac = pd.DataFrame(float("nan"), index=learners, columns=exercises)
        for r in p.itertuples():
            frac.loc[r.learner, r.exercise] = r.first_right / r.questions
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * max(len(learners), 1) + 1.5))
        im = ax.imshow(frac.values.astype(float), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(exercises)), exercises)
        ax.set_yticks(range(len(learners)), [chart_label(x) for x in learners])
        ax.set_xlabel(self.t("exercise"))
        ax.set_ylabel(self.t("learner"))
        ax.set_title(self.t("scores_chart"))
        fig.colorbar(im, ax=ax, fraction=0.03)
        fig.tight_layout()
        plt.close(fig)
        return fig

    # -- the live room ---------------------------------------------------------------
    def live_panel(self, store: ProgressStore | None = None):
        """A refresh button (CSS `rk-refresh`) that re-reads the live database into the same tables.

        The tables go into an HTML widget (CSS `rk-dashboard-live`), not an Output widget: an Output
        that prints breaks notebook runners and nbval.
        """
        import html

        import ipywidgets as W

        live = Dashboard(store or ProgressStore(), self.sop, self.bank, self.lang)
        button = W.Button(description=self.t("refresh"), icon="refresh", button_style="primary")
        button.add_class("rk-refresh")
        view = W.HTML()
        view.add_class("rk-dashboard-live")

        def draw(_b=None) -> None:
            live.refresh()
            df = live.attempts
            head = (f"<p>{html.escape(self.t('sop_version'))}: {html.escape(self.sop.version)} · "
                    f"{html.escape(self.t('learner'))}: {df['learner'].nunique()} · "
                    f"{html.escape(self.t('attempts'))}: {len(df)}</p>")
            if df.empty:
                view.value = head + f"<p>{html.escape(self.t('no_records'))}</p>"
                return
            parts = [(None, live.grid()), (self.t("most_missed"), live.most_missed()),
                     (self.t("older_sop"), live.outdated())]
            view.value = head + "".join((f"<h4>{html.escape(t)}</h4>" if t else "") + d.to_html() for t, d in parts)

        button.on_click(draw)
        draw()
        box = W.VBox([button, view])
        box.live, box.button, box.view = live, button, view
        return box
