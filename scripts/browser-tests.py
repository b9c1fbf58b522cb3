"""The HTML pages in headless Chromium (run by scripts/browser-tests.sh, which makes the pages).

Opens the execution inspector, clicks states and an event, and checks the detail panel shows
that state's input and output; on a run with a large input and a Map, checks each visit folds
with its own input and output and long JSON is cut with a "Show all"; on a drawing full of
labels, zooms with the wheel, a pinch, the keys and the buttons, pans by dragging (which
selects nothing) and fits; checks on every page that no edge label, as the browser lays the
text out, touches an edge or a state; opens the coverage index, follows a link, clicks a state
and checks its counts; with --mermaid, renders every sample's mermaid text with the mermaid
package. Any error in the browser console fails the run.
"""

import argparse
import json
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def console_errors(driver):
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def click_state(driver, name):
    nodes = [n for n in driver.find_elements(By.CSS_SELECTOR, "g.node") if n.get_attribute("data-name") == name]
    if not nodes:
        return ""
    # A real click on the state's shape, as a person clicks it.
    nodes[0].find_element(By.CSS_SELECTOR, "rect, polygon").click()
    return driver.find_element(By.ID, "details").text


def node_shape(driver, name):
    for n in driver.find_elements(By.CSS_SELECTOR, "g.node"):
        if n.get_attribute("data-name") == name:
            return n.find_element(By.CSS_SELECTOR, "rect, polygon")
    raise AssertionError(f"no state {name}")


def centre(driver, el):
    r = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];", el)
    return r[0], r[1]


def scale(driver):
    return float(driver.find_element(By.ID, "view").get_attribute("data-scale"))


def drawing_fits(driver):
    """Whether the whole drawing (its background) is inside the view."""
    return driver.execute_script("""
        const v = document.getElementById('view').getBoundingClientRect();
        const b = document.querySelector('#view svg > rect').getBoundingClientRect();
        return b.left >= v.left - 1 && b.top >= v.top - 1 && b.right <= v.right + 1 && b.bottom <= v.bottom + 1;""")


# Every edge label's box as the browser lays the text out (shrunk by a pixel) against every
# edge segment, every simple state's shape and every other label: what touches what.
LABEL_CHECK = """
const edges = [...document.querySelectorAll('#view g.edge')];
const segs = [];
edges.forEach((g, i) => {
  const pts = g.querySelector('path').getAttribute('d').split(/[ML]/).map(s => s.trim())
    .filter(Boolean).map(p => p.split(',').map(Number));
  for (let k = 1; k < pts.length; k++) segs.push([i, pts[k - 1], pts[k]]);
});
const shapes = [...document.querySelectorAll('#view g.node')]
  .filter(n => !n.classList.contains('t-map') && !n.classList.contains('t-parallel'))
  .map(n => [n.dataset.name, n.querySelector('rect, polygon').getBBox()]);
const labels = edges.map((g, i) => [i, g.querySelector(':scope > text')]).filter(([, t]) => t)
  .map(([i, t]) => { const b = t.getBBox(); return [i, t.textContent, [b.x + 1, b.y + 1, b.x + b.width - 1, b.y + b.height - 1]]; });
const meet = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
const out = [];
labels.forEach(([i, text, b], n) => {
  for (const [j, p, q] of segs) {
    const s = [Math.min(p[0], q[0]), Math.min(p[1], q[1]), Math.max(p[0], q[0]), Math.max(p[1], q[1])];
    if (s[0] <= b[2] && b[0] <= s[2] && s[1] <= b[3] && b[1] <= s[3]) out.push(text + ' over edge #' + j);
  }
  for (const [name, r] of shapes) if (meet(b, [r.x, r.y, r.x + r.width, r.y + r.height])) out.push(text + ' over ' + name);
  for (const [, other, c] of labels.slice(n + 1)) if (meet(b, c)) out.push(text + ' over ' + other);
});
return [labels.length, out];
"""


def check_labels(driver, what):
    count, touching = driver.execute_script(LABEL_CHECK)
    check(not touching, f"{what}: {count} edge labels, none over an edge, a state or a label {touching[:5]}")


def zoom_and_pan(driver, pages):
    driver.get((pages / "labels.html").as_uri())
    view = driver.find_element(By.ID, "view")
    fitted = scale(driver)
    check(drawing_fits(driver) and fitted <= 1, f"zoom: the page opens with the whole drawing in view ({fitted})")
    check(driver.find_element(By.ID, "zoom-level").text == f"{round(fitted * 100)}%", "zoom: the level is shown")
    check_labels(driver, "labels page")

    # Keys: + and - zoom about the centre, 0 fits again.
    ActionChains(driver).send_keys("+").perform()
    check(abs(scale(driver) - fitted * 1.25) < 1e-6, f"zoom: + zooms in ({scale(driver)})")
    ActionChains(driver).send_keys("-").send_keys("-").perform()
    check(abs(scale(driver) - fitted * 1.25 * 0.64) < 1e-6, f"zoom: - zooms out ({scale(driver)})")
    ActionChains(driver).send_keys("0").perform()
    check(abs(scale(driver) - fitted) < 1e-6 and drawing_fits(driver), "zoom: 0 fits the drawing again")

    # The wheel zooms in at the pointer: the state under it stays where it is.
    join = node_shape(driver, "Join")
    before = centre(driver, join)
    ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(join), 0, -300).perform()
    after = centre(driver, join)
    check(scale(driver) > fitted * 1.5, f"zoom: the wheel zooms in ({fitted} -> {scale(driver)})")
    check(abs(after[0] - before[0]) < 3 and abs(after[1] - before[1]) < 3,
          f"zoom: the point under the pointer stays put ({before} -> {after})")
    zoomed = scale(driver)

    # A drag pans by as much as the pointer moved, and selects nothing, even starting on a state.
    done = node_shape(driver, "Done")
    before = centre(driver, done)
    ActionChains(driver).click_and_hold(done).move_by_offset(60, 20).move_by_offset(60, 20).release().perform()
    after = centre(driver, done)
    check(abs(after[0] - before[0] - 120) < 2 and abs(after[1] - before[1] - 40) < 2,
          f"pan: a drag moves the drawing with the pointer ({before} -> {after})")
    check(abs(scale(driver) - zoomed) < 1e-9, "pan: a drag does not zoom")
    check(not driver.find_elements(By.CSS_SELECTOR, "g.node.selected"), "pan: a drag selects no state")
    # A click still selects.
    text = click_state(driver, "Done")
    check(text.startswith("Done") and len(driver.find_elements(By.CSS_SELECTOR, "g.node.selected")) == 1,
          "pan: a click after a drag selects the state")

    # A pinch (two touch pointers moving apart) zooms in about their midpoint.
    s0 = scale(driver)
    driver.execute_script("""
        const v = document.getElementById('view'), r = v.getBoundingClientRect();
        const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
        const ev = (type, id, x) => new PointerEvent(type, {pointerId: id, pointerType: 'touch', isPrimary: id === 1,
            clientX: x, clientY: cy, bubbles: true, cancelable: true});
        v.dispatchEvent(ev('pointerdown', 1, cx - 50));
        v.dispatchEvent(ev('pointerdown', 2, cx + 50));
        window.dispatchEvent(ev('pointermove', 2, cx + 150));
        window.dispatchEvent(ev('pointerup', 1, cx - 50));
        window.dispatchEvent(ev('pointerup', 2, cx + 150));""")
    check(abs(scale(driver) - s0 * 2) < 1e-6, f"zoom: a pinch zooms in ({s0} -> {scale(driver)})")

    # The buttons.
    driver.find_element(By.CSS_SELECTOR, ".zoom button[data-zoom='out']").click()
    check(abs(scale(driver) - s0 * 2 * 0.8) < 1e-6, "zoom: the − button zooms out")
    driver.find_element(By.CSS_SELECTOR, ".zoom button[data-zoom='in']").click()
    check(abs(scale(driver) - s0 * 2) < 1e-6, "zoom: the + button zooms in")
    driver.find_element(By.CSS_SELECTOR, ".zoom button[data-zoom='fit']").click()
    check(abs(scale(driver) - fitted) < 1e-6 and drawing_fits(driver), "zoom: the Fit button fits the drawing")
    check(view.get_attribute("class") in ("", None), "pan: the view is not left panning")
    errors = console_errors(driver)
    check(not errors, f"labels page: no console errors {errors}")


def visits(driver, pages):
    driver.get((pages / "visits.html").as_uri())
    # A large input: its first lines and a Show all, which shows it whole, and back.
    text = click_state(driver, "Load")
    pres = driver.find_elements(By.CSS_SELECTOR, "#details details.visit pre")
    buttons = driver.find_elements(By.CSS_SELECTOR, "#details button.more")
    check(len(buttons) == 2, f"visits: Load's large input and output each have a Show all ({len(buttons)})")
    if pres and buttons:
        cut = pres[0].text
        check(len(cut.splitlines()) <= 31 and cut.endswith("…"), f"visits: the input is cut to 30 lines ({len(cut.splitlines())})")
        check(buttons[0].text.startswith("Show all (") and " lines, " in buttons[0].text and "KB)" in buttons[0].text,
              f"visits: the button says how much there is ({buttons[0].text})")
        buttons[0].click()
        whole = json.loads(pres[0].text)
        check(len(whole.get("items", [])) == 300, "visits: Show all shows the whole input, pretty-printed JSON")
        check(buttons[0].text == "Show less", "visits: the button then offers to show less")
        buttons[0].click()
        check(pres[0].text == cut, "visits: Show less cuts it again")
    # Six visits of the Map's inner state: each folds, the first open, each with its own data.
    click_state(driver, "Visit")
    folds = driver.find_elements(By.CSS_SELECTOR, "#details details.visit")
    check(len(folds) == 6, f"visits: the inner state lists its 6 visits ({len(folds)})")
    opened = [f.get_attribute("open") is not None for f in folds]
    check(opened == [True] + [False] * 5, f"visits: only the first visit is open ({opened})")
    if len(folds) == 6:
        summary = folds[2].find_element(By.TAG_NAME, "summary")
        check(summary.text.startswith("Visit 3 · Each[2]/Visit"), f"visits: visits are named as tests name them ({summary.text})")
        summary.click()
        body = folds[2].text
        check("Input\n2" in body and '"id": 2' in body and '"seen": true' in body,
              f"visits: the third visit shows its input and its output ({body!r})")
    errors = console_errors(driver)
    check(not errors, f"visits: no console errors {errors}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pages")
    ap.add_argument("--mermaid", help="mermaid.min.js to render the .mmd files with")
    a = ap.parse_args()
    pages = pathlib.Path(a.pages).resolve()

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        # The execution inspector.
        driver.get((pages / "inspector.html").as_uri())
        check(driver.find_element(By.TAG_NAME, "h1").text == "Execution SUCCEEDED", "inspector: heading")
        text = click_state(driver, "CallService")
        check("CallService" in text and "caught" in text, "inspector: CallService's panel names it, caught")
        check('"orderId": "o-1"' in text and '"amount": 40' in text, "inspector: CallService's input shown")
        check("Card.Declined (Catch clause #0)" in text, "inspector: the caught error shown")
        check('"Cause": "insufficient funds"' in text, "inspector: CallService's output (with the error) shown")
        selected = driver.find_elements(By.CSS_SELECTOR, "g.node.selected")
        check(len(selected) == 1 and selected[0].get_attribute("data-name") == "CallService",
              "inspector: the clicked state is selected")
        text = click_state(driver, "Refund")
        check('"refund": "refunded"' in text, "inspector: Refund's output shown")
        highlighted = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#events tr.hl")]
        check(len(highlighted) == 2 and all(r.endswith("Refund") for r in highlighted),
              f"inspector: Refund's events highlighted ({highlighted})")
        click_state(driver, "CallService")
        highlighted = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#events tr.hl")]
        check(len(highlighted) == 5 and all(r.endswith("CallService") for r in highlighted),
              f"inspector: CallService's events, its task's included, highlighted ({highlighted})")
        rows = driver.find_elements(By.CSS_SELECTOR, "#events tr.ev")
        check(len(rows) == 9, f"inspector: 9 events listed ({len(rows)})")
        rows[4].click()
        text = driver.find_element(By.ID, "details").text
        check(text.startswith("TaskFailed") and "Card.Declined" in text, "inspector: an event's details")
        check_labels(driver, "inspector")
        errors = console_errors(driver)
        check(not errors, f"inspector: no console errors {errors}")

        # A Map run: the iteration count on the Map.
        driver.get((pages / "pipeline.html").as_uri())
        text = click_state(driver, "ProcessChunk")
        check(text.count("Visit ") == 3, "pipeline: the Map's inner state lists its 3 visits")
        maps = [n.text for n in driver.find_elements(By.CSS_SELECTOR, "g.node.t-map")]
        check(any("3 iterations" in t for t in maps), f"pipeline: 3 iterations on the Map ({maps})")
        errors = console_errors(driver)
        check(not errors, f"pipeline: no console errors {errors}")

        zoom_and_pan(driver, pages)
        visits(driver, pages)

        # Coverage: the index, one definition's page.
        driver.get((pages / "coverage" / "index.html").as_uri())
        links = driver.find_elements(By.CSS_SELECTOR, "a")
        check(len(links) >= 10, f"coverage: the index links every definition ({len(links)})")
        choice = [link for link in links if link.text.endswith("choice.asl.json")]
        check(len(choice) == 1, "coverage: the index links the choice sample")
        if choice:
            choice[0].click()
            WebDriverWait(driver, 10).until(lambda d: "Coverage of" in d.title)
            text = click_state(driver, "Route")
            check("covered" in text and "Choice Route rule #0" in text and "covered ×" in text,
                  "coverage: Route's items with their counts")
            check_labels(driver, "coverage page")
            errors = console_errors(driver)
            check(not errors, f"coverage: no console errors {errors}")

        if a.mermaid:
            texts = {p.stem: p.read_text() for p in sorted((pages / "mermaid").glob("*.mmd"))}
            page = pages / "mermaid.html"
            page.write_text(
                "<!DOCTYPE html><html><head><meta charset='utf-8'><title>mermaid</title>"
                f"<script src='{pathlib.Path(a.mermaid).as_uri()}'></script></head><body><div id='out'></div>"
                "<script>const texts = " + json.dumps(texts).replace("<", "\\u003c") + ";"
                "mermaid.initialize({startOnLoad: false});"
                "(async () => { const res = {}; let i = 0;"
                "  for (const [k, t] of Object.entries(texts)) {"
                "    try { await mermaid.parse(t);"
                "          const r = await mermaid.render('m' + (i++), t);"
                "          res[k] = !r.svg.includes('<svg') ? 'no svg'"
                "            : r.svg.includes('Syntax error') ? 'syntax error drawn' : 'ok'; }"
                "    catch (e) { res[k] = String((e && e.message) || e); } }"
                "  document.getElementById('out').dataset.results = JSON.stringify(res);"
                "  document.title = 'done'; })();</script></body></html>")
            driver.get(page.as_uri())
            WebDriverWait(driver, 60).until(lambda d: d.title == "done")
            results = json.loads(driver.find_element(By.ID, "out").get_attribute("data-results"))
            check(len(results) == len(texts) and len(texts) >= 10, f"mermaid: {len(texts)} samples rendered")
            for k, r in results.items():
                check(r == "ok", f"mermaid: {k} renders ({r[:200]})")
    finally:
        driver.quit()
    print(f"\nbrowser tests: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
