"""Opens report.html from disk in headless Chromium: every image loads and nothing is fetched."""

import json
import re
import shutil
import subprocess

import pytest

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
PROBE = """<script>window.addEventListener("load", () => { document.title = JSON.stringify({
  widths: [...document.images].map(i => i.naturalWidth),
  fetched: performance.getEntriesByType("resource").map(e => e.name)}); });</script></body>"""


@pytest.mark.slow  # starts a process
@pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH (apt-get install chromium)")
def test_report_opens_offline_with_every_image_loaded(tiny_report, tmp_path):
    page = tmp_path / "probe.html"  # a copy with a probe that writes its findings into the title
    page.write_text(tiny_report.read_text().replace("</body>", PROBE))
    result = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    title = re.search(r"<title>(.*?)</title>", result.stdout, re.S)
    assert title, result.stderr[-2000:]
    found = json.loads(title.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    pngs = list(tiny_report.parent.glob("*.png"))
    assert len(found["widths"]) == len(pngs) >= 5
    assert all(w > 0 for w in found["widths"]), found["widths"]
    assert found["fetched"] == []  # data: URIs only: no file, no network
