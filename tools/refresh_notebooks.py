"""Re-execute lesson notebooks in place, with clean metadata: `make refresh`.

After an intended SOP change, run this and read `git diff notebooks/`: only
outputs that the change moved should differ. To keep that diff quiet:
- the kernel is this interpreter (the project's venv), whatever kernels the machine has (started
  warm, refundkit.warm_kernel);
- execution counts are renumbered 1..n, timing and widget state metadata dropped;
- consecutive prints are joined into one output (how they were split depends on timing);
- a widget's live view (model ids change every run) is not stored: it only
  exists with a running kernel, and nbval never checks it (NBVAL_IGNORE_OUTPUT).
Beside each notebook it writes what the run read of the SOP (`.reads/NAME.json`,
refundkit.review.reads), so `refundkit sop impact` re-executes only the notebooks a change
can move. Notebooks run two at a time (REFRESH_JOBS to change).

    python tools/refresh_notebooks.py [NOTEBOOK_OR_DIR ...]   (default: notebooks/)
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def kernel_dir() -> str:
    """A kernelspec 'python3' that runs this interpreter, first on JUPYTER_PATH."""
    from refundkit.warm_kernel import kernel_spec

    root = Path(tempfile.mkdtemp(prefix="refundkit-kernel-"))
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    # Record what the notebook reads of the SOP (only when REFUNDKIT_READS_OUT is set).
    reads = "--IPKernelApp.exec_lines=['__import__(\"refundkit.review.reads\").review.reads.start()']"
    (spec / "kernel.json").write_text(json.dumps(kernel_spec(reads).to_dict()))
    return str(root)


def clean(nb) -> None:
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    }
    n = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        n += 1
        cell.execution_count = n
        kept = []
        for out in cell.outputs:
            if "execution_count" in out:
                out["execution_count"] = n
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                continue
            if (out.get("output_type") == "stream" and kept and kept[-1].get("output_type") == "stream"
                    and kept[-1].get("name") == out.get("name")):
                kept[-1]["text"] += out["text"]
                continue
            kept.append(out)
        cell.outputs = kept


def refresh(path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    from refundkit.review import reads

    nb = nbformat.read(path, as_version=4)
    record = reads.record_path(path)
    record.unlink(missing_ok=True)  # a run that fails leaves no record: the notebook is always re-run
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}},
                   store_widget_state=False).execute(env=dict(os.environ, **{reads.ENV: str(record)}))
    clean(nb)
    if record.exists():  # what the record is about: this notebook's code
        data = json.loads(record.read_text(encoding="utf-8"))
        data["cells"] = reads.cells_digest(nb)
        record.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    text = nbformat.writes(nb) + "\n"
    for bad in ("/work/", "/tmp/", "/root/", str(REPO)):
        if bad in text:
            raise SystemExit(f"{path}: a stored output shows a machine path ({bad}); fix the lesson")
    path.write_text(text, encoding="utf-8")
    print(f"refreshed {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def main(argv: list[str]) -> int:
    specs = kernel_dir()
    os.environ["JUPYTER_PATH"] = specs + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    targets = [Path(a).resolve() for a in argv] or [REPO / "notebooks"]
    paths = []
    for t in targets:
        paths += sorted(p for p in t.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts) if t.is_dir() else [t]
    jobs = int(os.environ.get("REFRESH_JOBS", "2"))
    from refundkit.warm_kernel import zygote

    # Kernels forked from one process that has imported the libraries once (refundkit.warm_kernel).
    try:
        with zygote() as env, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            os.environ.update(env)
            list(pool.map(refresh, paths))  # re-raises the first failure
    finally:
        shutil.rmtree(specs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
