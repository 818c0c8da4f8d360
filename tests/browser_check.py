"""Check in a real browser that the course's inline videos show in an untrusted notebook.

Not part of the test suite (pytest does not collect this file: its name does not start with
``test_``), and it needs two things that are NOT requirements of the course:

- Chromium: ``apt-get install -y chromium`` (Debian; used as ``/usr/bin/chromium``);
- Playwright for Python, in a throwaway virtual environment of its own, driving that Chromium
  (no browser download): ``python3 -m venv /tmp/pwvenv && /tmp/pwvenv/bin/pip install
  playwright``.

Run it from the repository root with the course's environment (it needs vidgen_tf, nbclient
and JupyterLab; the browser part runs again in the Playwright environment)::

    .venv/bin/python tests/browser_check.py --playwright-python /tmp/pwvenv/bin/python

What it does:

1. Copies ``lessons/00_video_as_data.ipynb``, ``notebooks/00_video_as_data.ipynb`` and
   ``notebooks/01_vae.ipynb`` into a fresh folder, and writes a small notebook
   (``media_check.ipynb``) that shows clips with ``show_grid`` (grey and RGB, with captions
   and a filmstrip), ``show_video``, ``show_videos`` and ``show_filmstrip``, executed with
   nbclient. None of them is signed in the server's (fresh, empty) trust database: JupyterLab
   opens them untrusted, as a student opens a downloaded notebook, and sanitizes their HTML.
2. Starts JupyterLab 4 on that folder (port 8899, no token), and opens each notebook in
   headless Chromium (``--no-sandbox --disable-gpu --disable-quic --no-first-run
   --disable-background-networking --disable-component-update --disable-sync``, a fresh
   user data dir).
3. Waits for the outputs (all cells kept in the page: ``windowingMode`` "none" in a fresh
   settings folder), scrolls every image into view and reads from the DOM: every
   ``<img>`` with a ``data:image/gif`` (or png) source, its natural and displayed size, and
   every ``<video>`` with its source and readyState.
4. Saves screenshots under the output folder (``/tmp/vidgen_browser_check`` by default) and
   writes ``report.json`` there.

Exit status 0 when the generated notebook has no ``<video>``, every GIF image decoded
(``naturalWidth > 0``), and each grid shows its clips at >= 128 pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
COPIES = {"lesson_00_video_as_data.ipynb": "lessons/00_video_as_data.ipynb",
          "reader_00_video_as_data.ipynb": "notebooks/00_video_as_data.ipynb",
          "reader_01_vae.ipynb": "notebooks/01_vae.ipynb"}
GENERATED = "media_check.ipynb"

MEDIA_CELLS = [
    "from vidgen_tf.data import BouncingShapes, MovingDigits\n"
    "from vidgen_tf.viz import show_filmstrip, show_grid, show_video, show_videos\n"
    "digits = MovingDigits(num_frames=16, image_size=32, num_digits=1, seed=0).generate(16)\n"
    "captions = [f'asked {d}' for d in digits['digits'][:, 0]]",
    "show_grid(digits['video'], captions=captions, filmstrip_rows=3,\n"
    "          title='16 moving digits, 32x32, shown at 128 px each')",
    "show_video(digits['video'][0], caption=captions[0])",
    "show_videos(digits['video'][:3], captions=captions[:3])",
    "show_filmstrip(digits['video'][:2], captions=captions[:2])",
    "shapes = BouncingShapes(num_frames=16, image_size=32, seed=0).generate(4)\n"
    "show_grid(shapes['video'], captions=list(shapes['caption']), columns=4)",
]


# -- 1. the notebooks --------------------------------------------------------------------------

def prepare(folder, data_dir):
    """Copy the committed notebooks, write and execute the generated one, and check that none
    is trusted by the server's notary (``data_dir``)."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.sign import NotebookNotary

    sys.path.insert(0, REPO)
    from tests.course.test_notebook_media import embedded_media, stripped_outputs

    os.makedirs(folder, exist_ok=True)
    for name, source in COPIES.items():
        shutil.copy(os.path.join(REPO, source), os.path.join(folder, name))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# Media check\nOutputs of `vidgen_tf.viz`, executed with nbclient (unsigned).")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in MEDIA_CELLS]
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": REPO}}).execute()
    nbformat.write(nb, os.path.join(folder, GENERATED))
    notary = NotebookNotary(data_dir=data_dir)
    files = {}
    for name in list(COPIES) + [GENERATED]:
        book = nbformat.read(os.path.join(folder, name), as_version=4)
        files[name] = {
            "trusted": notary.check_signature(book),
            "stripped_outputs_found_by_the_test": stripped_outputs(book),
            "embedded_media_bytes_base64": sum(m[-1] for m in embedded_media(book)),
            "gif_images_in_file": sum(
                str(o.get("data", {}).get("text/html", "")).count("data:image/gif")
                for c in book.cells for o in c.get("outputs", [])),
        }
    return files


# -- 2. the server -----------------------------------------------------------------------------

def start_lab(folder, port, env):
    log = open(os.path.join(folder, "..", "jupyterlab.log"), "w")
    command = [os.path.join(os.path.dirname(sys.executable), "jupyter"), "lab",
               "--allow-root", "--no-browser", "--ServerApp.token=", "--ServerApp.password=",
               f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.root_dir={folder}"]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode}; see "
                                   f"{log.name}")
            time.sleep(1)
    server.terminate()
    raise RuntimeError(f"JupyterLab did not answer on port {port} within 2 minutes")


# -- 3. the browser (runs in the Playwright environment) ---------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

INSPECT = """(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  const outputs = panel.querySelectorAll('.jp-OutputArea-output');
  const out = {images: [], videos: [], figcaptions: []};
  for (const output of outputs) {
    for (const img of output.querySelectorAll('img')) {
      const src = img.getAttribute('src') || '';
      const box = img.getBoundingClientRect();
      const copy = img.cloneNode();
      copy.setAttribute('src', src.slice(0, 22) + '...');
      out.images.push({kind: src.slice(0, 15), naturalWidth: img.naturalWidth,
                       naturalHeight: img.naturalHeight, shownWidth: Math.round(box.width),
                       shownHeight: Math.round(box.height), complete: img.complete,
                       sanitizedTag: copy.outerHTML.slice(0, 300)});
    }
    for (const video of output.querySelectorAll('video')) {
      const sources = [...video.querySelectorAll('source')].map(
          s => (s.getAttribute('src') || '').slice(0, 20));
      out.videos.push({src: (video.getAttribute('src') || '').slice(0, 20), sources,
                       readyState: video.readyState, videoWidth: video.videoWidth,
                       sanitizedTag: video.outerHTML.slice(0, 300)});
    }
    for (const caption of output.querySelectorAll('figcaption')) {
      out.figcaptions.push(caption.textContent.trim());
    }
  }
  out.trustIndicator = [...document.querySelectorAll('[title*="trust" i]')]
      .map(e => e.getAttribute('title')).slice(0, 3);
  return out;
}"""


def browse(url_base, names, shots, executable):
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 2000})
        for name in names:
            stem = os.path.splitext(name)[0]
            page = context.new_page()
            # A workspace of its own, reset: only this notebook is open.
            page.goto(f"{url_base}/lab/workspaces/{stem}/tree/{name}?reset",
                      wait_until="domcontentloaded")
            page.wait_for_selector(f"{PANEL} .jp-Cell", timeout=120_000)
            page.wait_for_timeout(4000)                       # outputs, sanitizer, layout
            media = f"{PANEL} .jp-OutputArea-output img, {PANEL} .jp-OutputArea-output video"
            for handle in page.query_selector_all(media):
                handle.scroll_into_view_if_needed()
                page.wait_for_timeout(150)
            page.wait_for_function(
                f"() => [...document.querySelectorAll('{PANEL} .jp-OutputArea-output img')]"
                ".every(i => i.complete)", timeout=30_000)
            report = page.evaluate(INSPECT, PANEL)
            first = page.query_selector(media)
            if first is not None:
                first.scroll_into_view_if_needed()
                page.wait_for_timeout(500)
            page.screenshot(path=os.path.join(shots, f"{stem}.png"))
            outputs = page.query_selector_all(f"{PANEL} .jp-OutputArea-output:has(img), "
                                              f"{PANEL} .jp-OutputArea-output:has(video)")
            for i, handle in enumerate(outputs[:8]):
                handle.scroll_into_view_if_needed()
                page.wait_for_timeout(300)
                handle.screenshot(path=os.path.join(shots, f"{stem}_output{i}.png"))
            report["screenshots"] = sorted(f for f in os.listdir(shots) if f.startswith(stem))
            results[name] = report
            page.close()
        context.close()
    return results


def _browse_main(argv):
    args = json.loads(argv[0])
    print(json.dumps(browse(args["url"], args["names"], args["shots"], args["chromium"])))


# -- 4. everything ----------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--playwright-python", default=sys.executable,
                        help="a Python with playwright installed (default: this one)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--out", default="/tmp/vidgen_browser_check")
    args = parser.parse_args()

    shutil.rmtree(args.out, ignore_errors=True)
    folder, shots = os.path.join(args.out, "notebooks"), os.path.join(args.out, "screenshots")
    os.makedirs(shots)
    env = dict(os.environ)
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = os.path.join(args.out, name.lower())
        os.makedirs(env[name])
    # Every cell in the page (JupyterLab 4 leaves cells far out of view out of the DOM by
    # default, which would hide outputs from the count; the sanitizer is the same).
    env["JUPYTERLAB_SETTINGS_DIR"] = os.path.join(args.out, "lab_settings")
    tracker = os.path.join(env["JUPYTERLAB_SETTINGS_DIR"], "@jupyterlab", "notebook-extension")
    os.makedirs(tracker)
    with open(os.path.join(tracker, "tracker.jupyterlab-settings"), "w") as f:
        json.dump({"windowingMode": "none"}, f)
    labconfig = os.path.join(env["JUPYTER_CONFIG_DIR"], "labconfig")
    os.makedirs(labconfig)
    with open(os.path.join(labconfig, "page_config.json"), "w") as f:      # no news pop-up
        json.dump({"disabledExtensions": {
            "@jupyterlab/apputils-extension:announcements": True}}, f)

    files = prepare(folder, env["JUPYTER_DATA_DIR"])
    server = start_lab(folder, args.port, env)
    try:
        done = subprocess.run(
            [args.playwright_python, os.path.abspath(__file__), "--browse", json.dumps(
                {"url": f"http://127.0.0.1:{args.port}", "names": list(files),
                 "shots": shots, "chromium": args.chromium})],
            capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise RuntimeError(f"the browser part failed:\n{done.stderr[-3000:]}")
        browser = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)

    report = {name: {"file": files[name], "browser": browser[name]} for name in files}
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    failures = []
    for name, entry in report.items():
        seen = entry["browser"]
        gifs = [i for i in seen["images"] if i["kind"].startswith("data:image/gif")]
        print(f"{name}: trusted={entry['file']['trusted']}, GIFs in file "
              f"{entry['file']['gif_images_in_file']}, <img> GIF in DOM {len(gifs)} "
              f"(decoded {sum(i['naturalWidth'] > 0 for i in gifs)}), other <img> "
              f"{len(seen['images']) - len(gifs)}, <video> {len(seen['videos'])} "
              f"(with a source: {sum(bool(v['src'] or any(v['sources'])) for v in seen['videos'])}"
              f", readyState>0: {sum(v['readyState'] > 0 for v in seen['videos'])})")
        if entry["file"]["trusted"]:
            failures.append(f"{name} is trusted: the check needs an untrusted notebook")
        if any(i["naturalWidth"] == 0 for i in gifs):
            failures.append(f"{name}: a GIF did not decode")
    generated = report[GENERATED]["browser"]
    if generated["videos"]:
        failures.append(f"{GENERATED} holds <video> elements")
    gifs = [i for i in generated["images"] if i["kind"].startswith("data:image/gif")]
    if len(gifs) != report[GENERATED]["file"]["gif_images_in_file"]:
        failures.append(f"{GENERATED}: {len(gifs)} GIFs in the page, "
                        f"{report[GENERATED]['file']['gif_images_in_file']} in the file")
    if any(min(i["naturalWidth"], i["naturalHeight"]) < 128 for i in gifs):
        failures.append(f"{GENERATED}: a GIF smaller than 128 px")
    print(f"report: {os.path.join(args.out, 'report.json')}; screenshots in {shots}")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--browse":
        _browse_main(sys.argv[2:])
    else:
        sys.exit(main())
