"""The trainer's view of a workshop, computed from the progress record.

    dash = Dashboard(store)            # or Dashboard.sample() for a generated workshop
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
import random
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from .exercises.bank import Bank, Question, default_bank
from .exercises.check import check
from .exercises.key import answer_key, answer_words, rule_text
from .progress import Attempt, ProgressStore
from .sop import Sop, default_sop

# A sample room: invented names, the only personal data the store keeps.
DEMO_LEARNERS = ("王芳", "李雷", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周婷", "吴昊", "徐丽", "孙强")
DEMO_SEED = 20261120


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


@dataclass
class Dashboard:
    store: ProgressStore
    sop: Sop | None = None
    bank: Bank | None = None
    lang: str = "zh"

    def __post_init__(self) -> None:
        self.sop = self.sop or default_sop()
        self.bank = self.bank or default_bank()
        self.refresh()

    @classmethod
    def sample(cls, seed: int = DEMO_SEED, **kw) -> "Dashboard":
        """A dashboard over a generated sample workshop in a temporary database."""
        store = ProgressStore(Path(tempfile.mkdtemp(prefix="refundkit-demo-")) / "demo.sqlite3")
        demo_workshop(store, kw.get("sop"), kw.get("bank"), seed=seed)
        return cls(store, **kw)

    def t(self, key: str) -> str:
        return self.sop.t(key, self.lang)

    def refresh(self) -> None:
        """Re-read the database."""
        self.attempts = self.store.frame()

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
        print(f"{self.t('learner')}: {df['learner'].nunique()}")
        print(f"{self.t('attempts')}: {len(df)}")
        if df.empty:
            print(self.t("no_records"))

    # -- charts --------------------------------------------------------------------
    def chart_missed(self, top: int = 8):
        import matplotlib.pyplot as plt

        from .plotting import use_cjk_font

        use_cjk_font()
        mm = self.most_missed(top)
        fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(mm), 1) + 1.2))
        labels = list(mm[self.t("question")])[::-1]
        values = [int(v) for v in mm[self.t("missed_first")]][::-1]
        ax.barh(labels, values, color="#c62828")
        ax.set_xlabel(self.t("missed_first"))
        ax.set_title(self.t("most_missed"))
        fig.tight_layout()
        plt.close(fig)
        return fig

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
        ax.set_yticks(range(len(learners)), learners)
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
