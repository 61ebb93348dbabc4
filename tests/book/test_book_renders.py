"""Book tier: build the Jupyter Book with warnings as errors and look at it in headless Chromium."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmrec_core.results import over_seeds, read_results

pytestmark = pytest.mark.book
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(REPO), "--path-output", str(out), "-W", "-n",
                           "--keep-going"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = out / "_build" / "html"
    assert (html / "index.html").exists()
    return html


def test_every_toc_page_is_built(built_book):
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for p in toc["parts"] for c in p["chapters"]]
    for f in files:
        assert (built_book / f"{f}.html").exists(), f


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium not installed (make browser installs Debian's chromium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,1800"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    yield drv
    drv.quit()


def test_reproduction_table_renders_with_our_numbers(built_book, browser, tmp_path_factory):
    page = built_book / "book" / "notebooks" / "90_paper_vs_ours.html"
    browser.get(page.as_uri())
    tables = browser.find_elements("css selector", "table")
    text = "\n".join(t.text for t in tables)
    # the comparison table's header (mmrec_core.papers.comparison_table) and a Table 2 row
    assert "ours − paper" in text and "Item-CF" in text
    ours = over_seeds(read_results(REPO / "results", paper="xia", table="table2", model="Item-CF", subset="test",
                                   profile="paper"))
    if len(ours):  # the committed paper-profile number is what the page shows
        item_cf_lines = [line for line in text.splitlines() if "Item-CF" in line and "test" in line]
        assert any(f"{ours.value.iloc[0]:.3f}" in line for line in item_cf_lines), item_cf_lines
    shot = tmp_path_factory.mktemp("screens") / "paper_vs_ours.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_figures_render(built_book, browser, tmp_path_factory):
    page = built_book / "book" / "notebooks" / "00_data.html"
    browser.get(page.as_uri())
    widths = browser.execute_script(
        "return Array.from(document.images).filter(i => i.src.includes('_images'))"
        ".map(i => [i.complete, i.naturalWidth]);")
    assert len(widths) >= 5, widths
    assert all(done and w > 100 for done, w in widths), widths
    shot = tmp_path_factory.mktemp("screens") / "00_data.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def _tables(html_path):
    """(header, rows, caption) of every HTML table of a built page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_path.read_text(), "html.parser")
    out = []
    for table in soup.find_all("table"):
        head = [th.get_text(strip=True) for th in table.find("thead").find_all("th")] if table.find("thead") else []
        body = [[td.get_text(strip=True) for td in tr.find_all(["td", "th"])]
                for tr in (table.find("tbody") or table).find_all("tr")]
        caption = table.find("caption").get_text(" ", strip=True) if table.find("caption") else ""
        out.append((head, body, caption))
    return out


def _said_once(caption: str) -> dict:
    """Key columns a page table says once in its caption (``dataset ml-100k · subset test · ours on
    ml-100k``, :func:`mmrec_core.notebook.comparison_display`) instead of in every row."""
    said = {}
    for item in caption.split(" · "):
        for name in ("dataset", "variant", "subset", "ours on"):
            if item.startswith(name + " "):
                said[name] = item[len(name) + 1:]
    return said


@pytest.mark.parametrize("page", ["90_paper_vs_ours", "20_xia_fusion", "21_mu", "22_siet", "23_aljunid", "10_baselines",
                                  "30_tsem"])
def test_every_number_in_a_comparison_table_equals_the_records(built_book, page):
    from mmrec_core.papers import format_value

    rows = over_seeds(read_results(REPO / "results", profile="paper"))   # a table's numbers: means, not runs
    checked = 0
    for head, body, caption in _tables(built_book / "book" / "notebooks" / f"{page}.html"):
        if not {"paper", "ours", "model", "metric"} <= set(head):
            continue
        col = {h: i for i, h in enumerate(head)}
        said = _said_once(caption)
        for cells in body:
            if len(cells) != len(head) or not cells[col["ours"]]:
                continue
            key = {k: said[k] for k in ("dataset", "variant", "subset") if k in said}
            key.update({k: cells[col[k]] for k in ("dataset", "model", "variant", "subset", "metric") if k in col})
            ours_on = cells[col["ours on"]] if "ours on" in col else said.get("ours on", "")
            if ours_on:                                       # a paper row on other data: ours on ours_on
                key["dataset"] = ours_on
            elif "(ours: " in key.get("dataset", ""):         # the same, as pages executed before said it
                key["dataset"] = key["dataset"].split("(ours: ")[1].rstrip(")")
            match = rows
            for k, v in key.items():
                match = match[match[k] == v]
            assert len(match) >= 1, key
            values = {format_value(key["metric"], v) for v in match.value}
            assert cells[col["ours"]] in values, (page, key, cells[col["ours"]], values)
            checked += 1
    assert checked > 0, f"no comparison numbers found on {page}"


# Each table of a page against the column that holds it: the nearest ancestor that scrolls sideways
# (a cell output) or else the article. A table wider than that scrolls or runs off the page.
_TABLE_WIDTHS_JS = """
return Array.from(document.querySelectorAll('article table')).map((t, i) => {
  let box = t.parentElement;
  while (box.tagName !== 'ARTICLE' && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) {
    box = box.parentElement;
  }
  const head = (t.querySelector('thead') || t).innerText.replace(/\\s+/g, ' ').slice(0, 60);
  return {i: i, table: t.scrollWidth, box: box.clientWidth, boxScroll: box.scrollWidth, head: head};
});"""


def test_every_table_of_page_90_fits_the_window(built_book, browser):
    """At 1,400 px no table of the paper-vs-ours page is wider than the column that holds it."""
    browser.get((built_book / "book" / "notebooks" / "90_paper_vs_ours.html").as_uri())
    assert browser.execute_script("return window.innerWidth") == 1400
    widths = browser.execute_script(_TABLE_WIDTHS_JS)
    assert len(widths) >= 8, widths
    too_wide = [w for w in widths if w["table"] > w["box"] + 1 or w["boxScroll"] > w["box"] + 1]
    assert not too_wide, too_wide


# 22's executed page predates the table fix (tables.runs_table blanks what does not apply). Re-executing
# it retrains Siet in bf16 autocast: about a minute per seed on a CPU with native bfloat16 (where its
# recorded runs were trained), over 25 minutes per seed on an AVX2-only CPU, where the emulated
# matmuls also round differently, so the runs no longer match the recorded ones. Strict: this fails
# once 22 is re-executed, and the mark goes.
_SIET_STALE = pytest.mark.xfail(strict=True, reason="22_siet not re-executed since the table fix: needs bf16-native hardware")


@pytest.mark.parametrize("page", ["00_data", "01_features", "10_baselines", "20_xia_fusion", "21_mu",
                                  pytest.param("22_siet", marks=_SIET_STALE),
                                  "23_aljunid", "30_tsem", "40_ours", "41_fusion_content", "50_literature", "90_paper_vs_ours",
                                  "91_reproducibility"])
def test_no_table_cell_shows_nan(built_book, page):
    """A value that does not apply is blank (or says why), never NaN / nan / <NA>."""
    bad = [(cells, caption) for head, body, caption in _tables(built_book / "book" / "notebooks" / f"{page}.html")
           for cells in [head] + body if any(c in ("NaN", "nan", "<NA>", "None") for c in cells)]
    assert not bad, bad[:3]


def test_no_path_or_variable_is_read_as_math(built_book):
    """``$MMREC_DATA/...`` in a package note stays text: MyST's dollarmath must not pair two ``$``."""
    from bs4 import BeautifulSoup

    for page in sorted((built_book / "book" / "notebooks").glob("*.html")):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        maths = [m.get_text() for m in soup.select(".math")]
        assert not [m for m in maths if "MMREC" in m or "/" in m], (page.name, maths[:2])


def test_figures_have_captions_and_names(built_book):
    html = (built_book / "book" / "notebooks" / "20_xia_fusion.html").read_text()
    for name in ("fig-20-curves", "fig-20-architecture", "fig-20-paper_vs_ours", "fig-20-lr_curves"):
        assert f'id="{name.replace("_", "-")}"' in html, name   # Sphinx turns "_" into "-" in ids
    assert html.count("<figcaption") >= 4
