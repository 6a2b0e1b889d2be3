"""The trainer's page of the served app: the live room, behind the trainer's token.

    /trainer?token=T        sets the trainer's cookie (signed, this path only) and shows the room
    /trainer                without the cookie: asks for the token and shows nothing else
    /trainer/room           the room as an HTML fragment; the page fetches it every REFRESH_S seconds
    ?lang=en                English (Chinese by default);  ?sample=1  the sample class

What it shows is computed by `refundkit.workshop.Dashboard` (the same as the
dashboard notebook): the real class first, per learner and per question, the
retraining list and two charts. The sample class is generated in memory on
demand (a temporary file), never written to the real record. The work runs in
a thread, so kernels' messages keep flowing while it is computed; charts are
redrawn only when the record changed.
"""
from __future__ import annotations

import base64
import hmac
import io
import json
import threading
from html import escape
from typing import Any

from ..sop import LANGS, Sop, default_sop
from .remember import LANG_COOKIE, WORK_COOKIE, WORK_DAYS, WORK_KEYS, WORK_MAX

COOKIE = "refundkit-trainer"
REFRESH_S = 5
_charts: dict[tuple, str] = {}
_lock = threading.Lock()
_sample: dict[str, Any] = {}
_stores: dict[str, Any] = {}


def _e(x: Any) -> str:
    return escape("" if x is None else str(x))


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def sample_dashboard(sop: Sop):
    """The sample class: generated once per server into a temporary file, never the real record."""
    from ..workshop import Dashboard

    with _lock:
        if "dash" not in _sample:
            _sample["dash"] = Dashboard.sample(sop=sop)
        return _sample["dash"]


def room_html(lang: str, sample: bool, sop: Sop | None = None, store=None) -> str:
    """The room as an HTML fragment (what /trainer/room returns and /trainer shows first)."""
    from ..progress import ProgressError
    from ..workshop import Dashboard

    sop = sop or default_sop()
    t = lambda k: sop.t(k, lang)  # noqa: E731
    try:
        if sample:
            dash = sample_dashboard(sop)
            dash.lang = lang
            dash._qrows = None
        else:
            store = store or _real_store()
            dash = Dashboard(store, sop, lang=lang)
    except ProgressError as exc:
        return f"<p class='rk-tr-error' style='color:#c62828'><b>{_e(t('tr_record_error'))}</b>: {_e(exc)}</p>"
    return ("" if sample else _health(store, t)) + view_html(dash, sample)


def _health(store, t) -> str:
    """Checks the record could not take lately (the learner was told too), newest last."""
    health = getattr(store, "health", None)
    if health is None:
        return ""
    h = health(recent=5)
    lines = ([h.error] if h.error else []) + [f"{p.get('learner', '')} · {str(p.get('at', ''))[:16]} · "
                                              f"{p.get('error', '')}" for p in h.problems]
    if not lines:
        return ""
    items = "".join(f"<li>{_e(x)}</li>" for x in lines)
    return (f"<div class='rk-tr-error' style='color:#c62828'><b>{_e(t('tr_record_error'))}</b>"
            f"<ul>{items}</ul></div>")


def view_html(dash, sample: bool = False, charts: bool = True) -> str:
    """A Dashboard as the trainer page shows it: summary, learners, retraining, questions, charts.
    The dashboard notebook shows the same view (charts=False: it draws them as figures)."""
    sop, lang = dash.sop, dash.lang
    t = lambda k: sop.t(k, lang)  # noqa: E731
    rows = dash.rows
    now = dash._now()
    head = (f"<p class='rk-tr-summary'>{_e(t('sop_version'))}: {_e(sop.version)} · {_e(t('learners_tried'))}: "
            f"{len({r['learner'] for r in rows})} · {_e(t('attempts'))}: {len(rows)} · "
            f"<span style='color:#666'>{_e(t('tr_updated'))} {now:%H:%M:%S}</span></p>")
    if sample:
        head = (f"<p class='rk-tr-sample-banner' style='background:#fff3e0;border:2px solid #e65100;padding:0.5em'>"
                f"<b>{_e(t('tr_sample_class'))}</b></p>") + head
    if not rows:
        return head + f"<p class='rk-tr-empty'>{_e(t('no_records'))}</p>"
    return (head + _learners(dash, t, lang) + _retraining(dash, t) + _questions(dash, t)
            + (_charts_html(dash, lang, sample) if charts else ""))


def _real_store():
    """The record, one store per server and target: its connection is kept between refreshes."""
    from ..progress import ProgressStore, default_target

    target = default_target()
    with _lock:
        if str(target) not in _stores:
            _stores[str(target)] = ProgressStore(target)
        return _stores[str(target)]


def _table(cls: str, heads: list[str], body: list[str]) -> str:
    th = "".join(f"<th style='text-align:left;padding:0.2em 0.6em;border-bottom:1px solid #999'>{h}</th>" for h in heads)
    return (f"<table class='{cls}' style='border-collapse:collapse;margin-bottom:1em'><thead><tr>{th}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _td(x: str, extra: str = "") -> str:
    return f"<td style='padding:0.2em 0.6em;border-bottom:1px solid #eee;{extra}'>{x}</td>"


def _learners(dash, t, lang: str) -> str:
    from ..workshop import exercise_short

    df = dash.learners()
    exercises = dash.bank.exercises
    heads = [_e(t("learner")), *[f"<span title='{_e(ex.title(lang))}'>{_e(exercise_short(ex.title(lang)))}</span>"
                                 for ex in exercises],
             _e(t("tr_on_question")), _e(t("tr_wrong_row")), _e(t("tr_idle")), _e(t("tr_stuck"))]
    body = []
    for r in df.to_dict("records"):
        cells = [_td(f"<b>{_e(r['learner'])}</b>")]
        for ex in exercises:
            v = r[ex.id]
            done = v and v.split("/")[0] == v.split("/")[1]
            cells.append(_td(_e(v) + (" ✔" if done else ""), "color:#1a7f37" if done else ""))
        q = r["on_question"]
        cells.append(_td(_e(dash.question_title(q, 120)) if isinstance(q, str) else _e(t("tr_all_done"))))
        cells.append(_td(str(r["wrong_in_a_row"]), "text-align:right"))
        cells.append(_td(str(r["idle_minutes"]), "text-align:right"))
        stuck = (f"<span class='rk-tr-stuck' style='background:#c62828;color:white;padding:0 0.4em;border-radius:3px'>"
                 f"{_e(t('tr_stuck'))}</span>") if r["stuck"] else ""
        cells.append(_td(stuck))
        row_cls = "rk-tr-learner" + (" rk-tr-learner-stuck" if r["stuck"] else "")
        body.append(f"<tr class='{row_cls}' data-learner='{_e(r['learner'])}'"
                    f"{' style=background:#ffebee' if r['stuck'] else ''}>{''.join(cells)}</tr>")
    return f"<h3>{_e(t('tr_learners'))}</h3>" + _table("rk-tr-learners", heads, body)


def _retraining(dash, t) -> str:
    df = dash.retraining()
    title = f"<h3>{_e(t('tr_retrain'))}</h3>"
    if df.empty:
        return title + f"<p class='rk-tr-retrain-none'>{_e(t('tr_no_retrain'))}</p>"
    heads = [_e(t(k)) for k in ("learner", "tr_question_text", "tr_passed_under", "tr_answer_then", "tr_answer_now",
                                "rule_behind")]
    body = [f"<tr class='rk-tr-retrain-row' data-learner='{_e(r['learner'])}'>"
            + "".join(_td(_e(r[k])) for k in ("learner", "text", "passed_under", "answer_then", "answer_now", "rule_now"))
            + "</tr>" for r in df.to_dict("records")]
    return title + _table("rk-tr-retrain", heads, body)


def _questions(dash, t) -> str:
    """The questions someone missed at the first try, highest rate first (the others need no going over)."""
    df = dash.questions()
    df = df[df["missed"] > 0]
    heads = [_e(t(k)) for k in ("tr_question_text", "learners_tried", "miss_rate", "top_wrong", "top_wrong_count",
                                "rule_behind")]
    body = [f"<tr class='rk-tr-question'>" + _td(_e(r["text"])) + _td(str(r["tried"]), "text-align:right")
            + _td(f"{r['rate']:.0%}", "text-align:right") + _td(_e(r["top_wrong"] if isinstance(r["top_wrong"], str) else "—"))
            + _td(str(r["top_wrong_count"]), "text-align:right") + _td(_e(r["rule_text"])) + "</tr>"
            for r in df.to_dict("records")]
    return f"<h3>{_e(t('tr_questions'))}</h3>" + _table("rk-tr-questions", heads, body)


def _charts_html(dash, lang: str, sample: bool) -> str:
    """Both charts, redrawn only when the record changed (the fingerprint: checks and the last id)."""
    rows = dash.rows
    stamp = (lang, sample, len(rows), rows[-1]["id"] if rows else 0, dash.sop.version)
    with _lock:
        html = _charts.get(stamp)
    if html is None:
        html = (f"<div class='rk-tr-charts' style='display:flex;flex-wrap:wrap;gap:1em'>"
                f"<img class='rk-tr-chart-exercises' alt='' src='{_png(dash.chart_exercises())}'>"
                f"<img class='rk-tr-chart-rules' alt='' src='{_png(dash.chart_rules())}'></div>")
        with _lock:
            _charts.clear()  # one stamp per page kept: the old one is never shown again
            _charts[stamp] = html
    return html


def page_html(lang: str, sample: bool, base: str, body: str, authorised: bool, wrong: bool = False) -> str:
    """The whole page: the token form, or the room with its refresh script."""
    sop = default_sop()
    t = lambda k: sop.t(k, lang)  # noqa: E731
    other = {code: sop.ui["lang_name"](code) for code in LANGS}
    langs = " · ".join(f"<a href='{base}trainer?lang={c}{'&sample=1' if sample else ''}'>{_e(n)}</a>"
                       for c, n in other.items())
    if not authorised:
        note = f"<p class='rk-tr-wrong' style='color:#c62828'>{_e(t('tr_token_wrong'))}</p>" if wrong else ""
        main = (f"<p>{_e(t('tr_token_needed'))}</p>{note}<form method='get' action='{base}trainer' class='rk-tr-login'>"
                f"<input type='hidden' name='lang' value='{_e(lang)}'>"
                f"<label>{_e(t('tr_token_label'))} <input type='password' name='token' autofocus></label> "
                f"<button type='submit'>{_e(t('tr_open'))}</button></form>")
        script = ""
    else:
        switch = (f"<a class='rk-tr-real' href='{base}trainer?lang={lang}'>{_e(t('tr_back_real'))}</a>" if sample else
                  f"<a class='rk-tr-show-sample' href='{base}trainer?lang={lang}&sample=1' "
                  f"style='border:1px solid #e65100;padding:0.2em 0.6em;border-radius:4px;color:#e65100'>"
                  f"{_e(t('tr_show_sample'))}</a>")
        main = f"<p>{switch}</p><div id='room' class='rk-tr-room'>{body}</div>"
        url = json.dumps(f"{base}trainer/room?lang={lang}{'&sample=1' if sample else ''}")
        script = (f"<script>setInterval(function(){{fetch({url},{{credentials:'same-origin',cache:'no-store'}})"
                  f".then(function(r){{if(r.status===403){{location.reload();return null;}}return r.ok?r.text():null;}})"
                  f".then(function(h){{if(h!==null&&h!==undefined)document.getElementById('room').innerHTML=h;}})"
                  f".catch(function(){{}});}}, {REFRESH_S * 1000});</script>")
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{_e(t('tr_title'))}</title>"
            "<meta name='viewport' content='width=device-width'><link rel='icon' href='data:;base64,='></head>"
            "<body style='font-family:\"Noto Sans CJK SC\",sans-serif;margin:1em 2em;font-size:14px'>"
            f"<div style='display:flex;justify-content:space-between;align-items:center'>"
            f"<h2 class='rk-tr-title'>{_e(t('tr_title'))}</h2><span class='rk-tr-langs'>{langs}</span></div>"
            f"{main}{script}</body></html>")


def handlers(server_url: str, token: str) -> list:
    """The trainer page's tornado handlers, and the words the trainee page's script shows while loading."""
    import tornado.web
    from tornado.ioloop import IOLoop

    class Base(tornado.web.RequestHandler):
        def set_default_headers(self):
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Frame-Options", "DENY")
            self.set_header("Referrer-Policy", "no-referrer")  # the token never leaves in a Referer

        def lang(self) -> str:
            lang = self.get_argument("lang", LANGS[0])
            return lang if lang in LANGS else LANGS[0]

        def authorised(self) -> bool:
            cookie = self.get_signed_cookie(COOKIE, max_age_days=1)
            return cookie is not None and hmac.compare_digest(cookie.decode(), _fingerprint(token))

        async def room(self, lang: str, sample: bool) -> str:
            return await IOLoop.current().run_in_executor(None, room_html, lang, sample)

    class TrainerPage(Base):
        async def get(self):
            lang, sample = self.lang(), self.get_argument("sample", "") == "1"
            given = self.get_argument("token", None)
            if given is not None:
                if hmac.compare_digest(given.encode(), token.encode()):
                    self.set_signed_cookie(COOKIE, _fingerprint(token), expires_days=1, httponly=True,
                                           samesite="Strict", path=f"{server_url}trainer")
                    return self.redirect(f"{server_url}trainer?lang={lang}")  # the token leaves the address bar
                self.set_status(403)
                return self.finish(page_html(lang, sample, server_url, "", authorised=False, wrong=True))
            if not self.authorised():
                self.set_status(403 if self.get_cookie(COOKIE) else 200)
                return self.finish(page_html(lang, sample, server_url, "", authorised=False))
            self.finish(page_html(lang, sample, server_url, await self.room(lang, sample), authorised=True))

    class TrainerRoom(Base):
        async def get(self):
            if not self.authorised():
                raise tornado.web.HTTPError(403)
            self.finish(await self.room(self.lang(), self.get_argument("sample", "") == "1"))

    class Words(tornado.web.RequestHandler):
        def get(self):
            sop = default_sop()
            words = {lang: {k: sop.t(k, lang) for k in ("app_loading", "app_loading_widget")} for lang in LANGS}
            self.set_header("Content-Type", "application/javascript; charset=utf-8")
            kept = {"lang": LANG_COOKIE, "work": WORK_COOKIE, "workKeys": WORK_KEYS, "workMax": WORK_MAX,
                    "workDays": WORK_DAYS}
            self.finish(f"window.rkWords = {json.dumps(words, ensure_ascii=False)};\n"
                        f"window.rkKept = {json.dumps(kept)};")

    return [(f"{server_url}trainer", TrainerPage), (f"{server_url}trainer/room", TrainerRoom),
            (f"{server_url}refundkit/words.js", Words)]


def _fingerprint(token: str) -> str:
    import hashlib

    return hashlib.sha256(("refundkit-trainer:" + token).encode()).hexdigest()
