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
    """(header, rows) of every HTML table of a built page."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_path.read_text(), "html.parser")
    out = []
    for table in soup.find_all("table"):
        head = [th.get_text(strip=True) for th in table.find("thead").find_all("th")] if table.find("thead") else []
        body = [[td.get_text(strip=True) for td in tr.find_all(["td", "th"])]
                for tr in (table.find("tbody") or table).find_all("tr")]
        out.append((head, body))
    return out


@pytest.mark.parametrize("page", ["90_paper_vs_ours", "20_xia_fusion", "21_mu", "22_siet", "23_aljunid", "10_baselines",
                                  "30_tsem"])
def test_every_number_in_a_comparison_table_equals_the_records(built_book, page):
    from mmrec_core.papers import format_value

    rows = over_seeds(read_results(REPO / "results", profile="paper"))   # a table's numbers: means, not runs
    checked = 0
    for head, body in _tables(built_book / "book" / "notebooks" / f"{page}.html"):
        if not {"paper", "ours", "model", "metric"} <= set(head):
            continue
        col = {h: i for i, h in enumerate(head)}
        for cells in body:
            if len(cells) != len(head) or not cells[col["ours"]]:
                continue
            key = {k: cells[col[k]] for k in ("dataset", "model", "variant", "subset", "metric") if k in col}
            if "(ours: " in key.get("dataset", ""):   # a paper row on other data: ours named in brackets
                key["dataset"] = key["dataset"].split("(ours: ")[1].rstrip(")")
            match = rows
            for k, v in key.items():
                match = match[match[k] == v]
            assert len(match) >= 1, key
            values = {format_value(key["metric"], v) for v in match.value}
            assert cells[col["ours"]] in values, (page, key, cells[col["ours"]], values)
            checked += 1
    assert checked > 0, f"no comparison numbers found on {page}"


def test_figures_have_captions_and_names(built_book):
    html = (built_book / "book" / "notebooks" / "20_xia_fusion.html").read_text()
    for name in ("fig-20-curves", "fig-20-architecture", "fig-20-paper_vs_ours", "fig-20-lr_curves"):
        assert f'id="{name.replace("_", "-")}"' in html, name   # Sphinx turns "_" into "-" in ids
    assert html.count("<figcaption") >= 4
