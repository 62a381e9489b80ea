"""Notebook 10 in a real browser: JupyterLab from this environment, headless Debian Chromium driven by Playwright.

The notebook runs on two tiny S-TR / T-TR checkpoints (random weights) and a few synthetic samples prepared here,
so the test needs no trained runs. It runs every cell, moves the frame slider and checks that the explorer's
figure changed. With ``STTR_UPDATE_SCREENSHOT=1`` it writes the README's screenshot, ``docs/explorer.png``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "10_attention_explorer.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
SCREENSHOT = ROOT / "docs" / "explorer.png"
FIGURE = "img.sttr-explorer-figure"


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.is_file():
        return f"no browser: {CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)"
    for module in ("playwright", "jupyterlab", "ipywidgets"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[dev]')"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tiny_setup(folder: Path) -> tuple[list[Path], Path]:
    """A few synthetic samples prepared as prepare-ntu does (their train split serves as the validation split)
    and tiny S-TR / T-TR checkpoints of random weights fed 32-frame windows."""
    from sttr.data.prepare import prepare_ntu
    from sttr.data.synthetic import generate
    from sttr.models import ModelConfig, build_model

    generate(folder / "raw", seed=0, max_samples=16, progress=False)
    prepare_ntu(folder / "raw", folder / "prepared", dataset="synthetic", progress=False, workers=1)
    split = folder / "prepared" / "xsub"
    for name in ("data_joint.npy", "label.pkl", "num_frames.npy"):
        shutil.copy(split / f"train_{name}", split / f"val_{name}")
    names = json.loads((split / "label_names.json").read_text())
    checkpoints = []
    for seed, stream in enumerate(("spatial", "temporal")):
        torch.manual_seed(seed)
        cfg = ModelConfig.small(stream, heads=2, widths=(8, 16, 16), num_classes=len(names))
        path = folder / f"{stream}.pt"
        torch.save({"format": "sttr-checkpoint", "version": 1, "model_config": cfg.to_dict(),
                    "model_state_dict": build_model(cfg).state_dict(), "class_names": names, "modality": "joint",
                    "window": 32, "resample": True}, path)  # fmt: skip
        checkpoints.append(path)
    return checkpoints, split


def _notebook(folder: Path, checkpoints: list[Path], split: Path) -> Path:
    """Notebook 10 with its parameters cell pointing at the tiny checkpoints and split."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += f"\ncheckpoints = {[str(c) for c in checkpoints]!r}\nsplit_dir = {str(split)!r}\n"
    path = folder / NOTEBOOK.name
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def lab(tmp_path):
    """A JupyterLab server on a free port serving notebook 10 set to tiny checkpoints; yields its URL."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    port, token = _free_port(), "sttr-browser-test"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STTR_PROFILE": "smoke", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}  # fmt: skip
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--allow-root",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    url = f"http://127.0.0.1:{port}"
    try:
        _notebook(folder, *_tiny_setup(tmp_path / "setup"))  # while the server starts
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield f"{url}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_explorer_runs_in_jupyterlab_and_a_slider_redraws(lab, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1500, "height": 1000},
        )  # fmt: skip
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(lab)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=30_000)
        select = page.locator(".jp-Dialog button", has_text="Select")  # JupyterLab may ask for the kernel
        try:
            select.wait_for(state="visible", timeout=5_000)
            select.click()
        except PlaywrightTimeout:
            pass
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=30_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        figure = page.locator(FIGURE)
        try:
            figure.wait_for(state="visible", timeout=40_000)
        except PlaywrightTimeout:
            page.screenshot(path=str(tmp_path / "page.png"))
            raise AssertionError(f"no explorer figure in the page: see {tmp_path / 'page.png'} and the notebook "
                                 f"text:\n{page.locator('.jp-Notebook').inner_text()[-3000:]}") from None
        page.wait_for_function(f"document.querySelector('{FIGURE}').naturalWidth > 0", timeout=20_000)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert "Traceback" not in " ".join(errors.all_inner_texts())
        assert page.locator(".jp-OutputArea-output img").count() >= 2  # the default view as a figure, and the widget
        before = figure.get_attribute("src")
        readout = page.locator(".widget-slider .widget-readout").first
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("3")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelector('{FIGURE}').src !== {json.dumps(before)}", timeout=20_000)
        page.wait_for_function(f"document.querySelector('{FIGURE}').naturalWidth > 0", timeout=20_000)
        assert figure.get_attribute("src") != before
        shot = figure.screenshot()
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("STTR_UPDATE_SCREENSHOT") == "1":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.locator(".widget-vbox").first.screenshot(path=str(SCREENSHOT))
        context.close()
    assert np.frombuffer(shot, dtype=np.uint8).size > 1000
