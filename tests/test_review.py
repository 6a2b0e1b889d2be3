"""Reviewing an SOP change: `refundkit sop diff / impact / check / render`, as a maintainer runs them."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from refundkit.cli import main
from refundkit.review.diff import sop_diff
from refundkit.scenarios import check as check_scenario
from refundkit.sop import DEFAULT_SOP_PATH, parse_sop

CHANGELOG = DEFAULT_SOP_PATH.parent / "CHANGELOG.md"
# The shipped version and the ones a test bumps to, so the tests hold across real SOP releases.
V0 = re.search(r'^version: "([^"]+)"', DEFAULT_SOP_PATH.read_text(encoding="utf-8"), re.M).group(1)
D0 = re.search(r'^effective_date: "([^"]+)"', DEFAULT_SOP_PATH.read_text(encoding="utf-8"), re.M).group(1)
_MAJOR, _MINOR, _ = map(int, V0.split("."))
V1 = f"{_MAJOR}.{_MINOR + 1}.0"
LOWER = f"{_MAJOR}.{_MINOR}.9"  # above V0 in patch, below V1


def edit(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def window(text: str, days: int = 2, version: str = V1) -> str:
    return edit(text, ("    days: 7\n", f"    days: {days}\n"), (f'version: "{V0}"', f'version: "{version}"'))


def without_c6(text: str) -> str:
    """Remove caution C6 (and S14, the article section only it cited)."""
    start = text.index("  - id: C6\n")
    end = text.index("\n\n", start)
    text = text[:start] + text[end + 1:]
    return edit(text, ('  - {id: S14, zh: "十四、注意事项6", en: "14. Caution 6"}\n', ""), (f'version: "{V0}"', f'version: "{V1}"'))


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "new.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


# -- diff --------------------------------------------------------------------

def test_diff_names_each_change_by_id(sop, sop_text):
    text = window(sop_text)
    text = edit(text, ("en: Open the order list\n", "en: Open the orders list\n"))
    r02 = "  - id: R02\n    seed: S09\n    when: {overdue: true}\n    action: auto_approved\n"
    text = edit(text, (r02, ""), ("  - id: R05\n", r02 + "  - id: R05\n"))
    changes = {(c.group, c.id): c for c in sop_diff(sop, parse_sop(text))}
    # C1 and N03 state the window through {window_days}: what a learner reads there changed too.
    assert set(changes) == {("meta", "version"), ("parameters", "handling_window"), ("steps", "ST2"),
                            ("rules", "R02"), ("rules", "R03"), ("rules", "R04"), ("cautions", "C1"), ("notes", "N03")}
    assert changes["parameters", "handling_window"].fields == (("days", 7, 2),)
    assert changes["cautions", "C1"].kind == "reworded" and changes["notes", "N03"].kind == "reworded"
    assert changes["steps", "ST2"].kind == "reworded"
    assert changes["rules", "R02"].position == (2, 4) and changes["rules", "R02"].kind == "moved"


def test_diff_in_both_languages(sop_text, write, capsys):
    new = write(without_c6(sop_text))
    rc, out, _ = run(capsys, "sop", "diff", str(DEFAULT_SOP_PATH), str(new), "--lang", "en")
    assert rc == 0
    assert "removed: C6 Keep account details and payment password safe" in out
    assert "removed: S14 14. Caution 6" in out and f"{V0} ({D0}) → {V1}" in out
    rc, out, _ = run(capsys, "sop", "diff", str(DEFAULT_SOP_PATH), str(new), "--format", "md")
    assert "## 注意事项" in out and "- **删除** C6 保护账户信息和支付密码" in out


def test_no_change_says_so(capsys):
    rc, out, _ = run(capsys, "sop", "diff", str(DEFAULT_SOP_PATH), str(DEFAULT_SOP_PATH), "--lang", "en")
    assert rc == 0 and out.strip().endswith("No changes.")


# -- a small git repository holding an SOP -----------------------------------

def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env)


@pytest.fixture
def repo(tmp_path, sop_text):
    """A git repository with sop/refund_sop.yaml and its changelog, not yet committed."""
    (tmp_path / "sop").mkdir()
    shutil.copy(CHANGELOG, tmp_path / "sop" / "CHANGELOG.md")
    (tmp_path / "sop" / "refund_sop.yaml").write_text(sop_text, encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    return tmp_path


def test_diff_against_git_revisions(repo, sop_text, capsys, monkeypatch):
    sop_file = repo / "sop" / "refund_sop.yaml"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", V0)
    sop_file.write_text(window(sop_text), encoding="utf-8")
    git(repo, "commit", "-qam", V1)
    monkeypatch.chdir(repo)
    for args in (["HEAD~1", "sop/refund_sop.yaml"], ["--since", "HEAD~1", "sop/refund_sop.yaml"],
                 ["HEAD~1:sop/refund_sop.yaml", "sop/refund_sop.yaml"]):
        rc, out, err = run(capsys, "sop", "diff", *args, "--lang", "en")
        assert rc == 0, err
        assert "days: 7" in out and "→ 2" in out and f"{V0} ({D0}) → {V1}" in out
    rc, out, _ = run(capsys, "sop", "diff", "HEAD", "sop/refund_sop.yaml", "--lang", "en")
    assert out.strip().endswith("No changes.")


# -- check: version, changelog, dangling references ---------------------------

def test_check_without_git_history_still_checks(repo, capsys):
    sop_file = repo / "sop" / "refund_sop.yaml"
    rc, out, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 0 and "not tracked by git yet" in err
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    rc, out, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 0 and "has no earlier revision" in err and out.startswith(f"SOP {V0}")
    shutil.rmtree(repo / ".git")
    rc, out, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 0 and "not in a git repository" in err


def test_check_refuses_changed_content_with_the_same_version(repo, sop_text, capsys):
    sop_file = repo / "sop" / "refund_sop.yaml"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", V0)
    sop_file.write_text(edit(sop_text, ("    days: 7\n", "    days: 2\n")), encoding="utf-8")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 1
    assert f"the content changed since HEAD:sop/refund_sop.yaml but the version is still {V0}" in err
    # Committing the change does not hide it: the previous revision is the one before the last change.
    git(repo, "commit", "-qam", "window without a bump")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 1 and f"but the version is still {V0}" in err
    # A higher version needs its changelog entry.
    sop_file.write_text(window(sop_text), encoding="utf-8")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 1 and f"CHANGELOG.md: no entry for version {V1}" in err
    with open(repo / "sop" / "CHANGELOG.md", "a", encoding="utf-8") as f:
        f.write(f"\n## {V1}\n\n- 处理期限改为2天。/ The window is 2 days.\n")
    rc, out, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 0, err
    assert "window 2 days" in out
    # Going backwards is refused; layout, comments and interface words need no bump.
    git(repo, "commit", "-qam", V1)
    sop_file.write_text(window(sop_text, version=LOWER), encoding="utf-8")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 1 and f"{LOWER} is lower than {V1}" in err
    relaid = window(sop_text).replace("# The decision table", "# 决策表 / The decision table")
    relaid = relaid.replace('yuan: {zh: "元", en: "yuan"}', 'yuan: {zh: "元", en: "CNY"}')
    sop_file.write_text(relaid, encoding="utf-8")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 0, err


def test_check_reports_dangling_references(repo, sop_text, capsys):
    scen = DEFAULT_SOP_PATH.parent.parent / "data" / "scenarios.yaml"
    (repo / "data").mkdir()
    shutil.copy(scen, repo / "data" / "scenarios.yaml")
    (repo / "notebooks").mkdir()
    cell = {"cell_type": "code", "source": ["sop.caution_by_id['C6']\n", "print('C1', 'zh')"], "metadata": {},
            "outputs": [], "execution_count": None}
    (repo / "notebooks" / "06_cautions.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {},
                                                                       "nbformat": 4, "nbformat_minor": 5}))
    sop_file = repo / "sop" / "refund_sop.yaml"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", V0)
    sop_file.write_text(without_c6(sop_text), encoding="utf-8")
    with open(repo / "sop" / "CHANGELOG.md", "a", encoding="utf-8") as f:
        f.write(f"\n## {V1}\n\n- 删除C6 / C6 removed\n")
    rc, _, err = run(capsys, "sop", "check", str(sop_file))
    assert rc == 1
    lines = err.strip().splitlines()
    assert f"notebooks/06_cautions.ipynb: cell 1: 'C6' is not an id of SOP {V1} (removed or renamed?)" in lines
    assert f"data/scenarios.yaml: SC01 expected.cautions: 'C6' is not an id of SOP {V1} (removed or renamed?)" in lines
    assert not any("'C1'" in line or "'zh'" in line for line in lines)


def test_shipped_sop_passes_the_whole_gate(capsys):
    rc, out, err = run(capsys, "sop", "check")
    assert rc == 0, err


# -- impact ------------------------------------------------------------------

def test_impact_lists_the_scenarios_the_suite_would_fail(sop, scenarios, sop_text, write, capsys):
    text = edit(sop_text, ("      - id: coupon\n        treatment: deduct\n", "      - id: coupon\n        treatment: ignore\n"),
                (f'version: "{V0}"', f'version: "{V1}"'))
    new = parse_sop(text)
    failing = {s.id for s in scenarios if check_scenario(s, new)}
    assert failing  # the change moves some outcomes
    rc, out, err = run(capsys, "sop", "impact", str(DEFAULT_SOP_PATH), str(write(text)), "--format", "json",
                       "--only", "scenarios", "--only", "questions")
    assert rc == 1
    report = json.loads(out)
    assert {r["id"] for r in report["scenarios"]} == failing
    sc02 = next(r for r in report["scenarios"] if r["id"] == "SC02")
    assert sc02["changes"] == {"refund": ["215.10", "245.10"]}
    assert report["skipped"] == {"lessons": "not asked for"}
    assert "scenarios ..." in err  # progress on stderr, report on stdout


def test_impact_report_in_markdown_side_by_side(sop_text, write, capsys, tmp_path):
    out_file = tmp_path / "impact.md"
    rc, _, _ = run(capsys, "sop", "impact", str(DEFAULT_SOP_PATH), str(write(window(sop_text))),
                   "--format", "md", "--only", "scenarios", "-o", str(out_file), "--lang", "en", "--quiet")
    md = out_file.read_text(encoding="utf-8")
    assert rc == 1
    assert md.startswith(f"# Impact of the SOP change: SOP {V0} → {V1}")
    assert "| Item | What | Before | After |" in md
    assert "| **SC01** Not shipped: the customer ordered by mistake | Deadline (deadline) | 2026-11-26 20:15 | 2026-11-21 20:15 |" in md


def test_impact_of_no_change_exits_0(capsys):
    rc, out, _ = run(capsys, "sop", "impact", str(DEFAULT_SOP_PATH), str(DEFAULT_SOP_PATH), "--only", "scenarios",
                     "--only", "questions", "--lang", "en", "--quiet")
    assert rc == 0 and "No scenario, exercise question or lesson changes its outcome." in out


@pytest.mark.parametrize("only, missing", [(["scenarios"], "data/scenarios.yaml"),
                                           (["questions"], "exercises/questions.yaml")])
def test_impact_without_the_kits_material_says_which_file_in_one_line(only, missing, sop_text, write, capsys,
                                                                        tmp_path, monkeypatch):
    """The kit run from a bare copy of its code (no scenarios or questions beside it): one line naming the
    file it looked for, exit 2."""
    import refundkit.review.impact as impact

    bare = tmp_path / "bare"
    (bare / "data").mkdir(parents=True)
    if missing != "data/scenarios.yaml":
        shutil.copy(DEFAULT_SOP_PATH.parent.parent / "data" / "scenarios.yaml", bare / "data")
    monkeypatch.setattr(impact, "REPO_ROOT", bare)
    args = [a for kind in only for a in ("--only", kind)]
    rc, out, err = run(capsys, "sop", "impact", str(DEFAULT_SOP_PATH), str(write(window(sop_text))), "--quiet", *args)
    assert rc == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()] and f"{bare / missing}: not found" in err, err


# -- render ------------------------------------------------------------------

def test_render_html_holds_the_whole_procedure(sop, tmp_path, capsys):
    out = tmp_path / "handout.html"
    rc, stdout, err = run(capsys, "sop", "render", "-o", str(out))
    assert rc == 0 and stdout.strip() == str(out)
    html = out.read_text(encoding="utf-8")
    for item in [*sop.steps, *sop.cautions]:
        assert f'id="{item.id}"' in html and item.text.zh in html
    for rule in sop.rules:
        assert f'<tr id="{rule.id}">' in html and sop.action_by_id[rule.action].todo.zh in html
    assert f"<b data-sop-version>{sop.version}</b>" in html and f"<b data-effective-date>{sop.effective_date}</b>" in html
    assert f"<b data-window-days>{sop.window_days}</b>" in html
    assert '<svg class="rk-flow"' in html and "size: A4 portrait" in html and "@media print" in html
    assert sop.refusal.must[0].zh in html and sop.platform_intervention.evidence[0].zh in html
    assert "[8/8] notes" in err


def test_render_both_languages_and_markdown(sop, tmp_path, capsys):
    both = tmp_path / "both.html"
    assert main(["sop", "render", "--lang", "both", "-o", str(both), "--quiet"]) == 0
    html = both.read_text(encoding="utf-8")
    assert sop.steps[0].text.zh in html and sop.steps[0].text.en in html and html.count('<svg class="rk-flow"') == 2
    md = tmp_path / "handout.md"
    assert main(["sop", "render", "--lang", "en", "-o", str(md), "--quiet"]) == 0
    text = md.read_text(encoding="utf-8")
    assert f"**Version:** {sop.version}" in text and "![Flowchart](handout.flowchart.svg)" in text
    assert (tmp_path / "handout.flowchart.svg").read_text(encoding="utf-8").startswith("<svg")
    assert all(f"**{s.id} {s.en}**" in text for s in sop.steps)


def test_render_follows_the_sop_it_is_given(sop_text, write, tmp_path):
    out = tmp_path / "h.html"
    assert main(["sop", "render", str(write(window(sop_text, days=3))), "-o", str(out), "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<b data-window-days>3</b>" in html and f"<b data-sop-version>{V1}</b>" in html


# -- bad input: one clear line, exit 2 ----------------------------------------

@pytest.fixture
def bad_inputs(tmp_path):
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("version: '1.0.0'\nsteps: [a, b\n", encoding="utf-8")
    not_sop = tmp_path / "not_sop.yaml"
    not_sop.write_text("- just\n- a list\n", encoding="utf-8")
    return {
        "malformed": (str(malformed), "not valid YAML"),
        "not_sop": (str(not_sop), "not an SOP file"),
        "missing": (str(tmp_path / "nope.yaml"), "no such file"),
        "folder": (str(tmp_path), "is a folder"),
        "revision": ("no-such-branch~3", "unknown git revision"),
    }


@pytest.mark.parametrize("kind", ["malformed", "not_sop", "missing", "folder", "revision"])
@pytest.mark.parametrize("command", ["diff", "impact", "render", "check"])
def test_bad_input_one_clear_line_exit_2(bad_inputs, kind, command, capsys, tmp_path):
    spec, words = bad_inputs[kind]
    if command == "check" and kind == "revision":
        pytest.skip("check takes a file, not a revision")
    args = {"diff": ["diff", spec, str(DEFAULT_SOP_PATH)], "impact": ["impact", spec, str(DEFAULT_SOP_PATH), "--quiet"],
            "render": ["render", spec, "-o", str(tmp_path / "h.html")], "check": ["check", spec]}[command]
    if command == "render" and kind == "revision":
        words = "no such file"
    rc, out, err = run(capsys, "sop", *args)
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and (kind == "revision" or spec in lines[0]), lines
    assert out == ""


def test_bad_new_side_and_unwritable_output(capsys, tmp_path, bad_inputs):
    rc, _, err = run(capsys, "sop", "diff", str(DEFAULT_SOP_PATH), bad_inputs["malformed"][0])
    assert rc == 2 and "malformed.yaml:3: not valid YAML" in err
    rc, _, err = run(capsys, "sop", "render", "-o", str(tmp_path / "no" / "dir" / "h.html"))
    assert rc == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1


def test_a_revision_alone_that_git_does_not_know_is_one_line(capsys):
    """`sop diff REV` (that revision against the working SOP). As the installed command (a process of its
    own) the kit says errors without a traceback: tests/test_cli.py::test_no_traceback_from_the_installed_command."""
    rc, out, err = run(capsys, "sop", "diff", "HEAD~999999")
    assert rc == 2 and "Traceback" not in err and out == ""
    assert len(err.strip().splitlines()) == 1 and "unknown git revision" in err
