"""The HTML pages in headless Chromium (run by scripts/browser-tests.sh, which makes the pages).

Opens the execution inspector, clicks states and an event, and checks the detail panel shows
that state's input and output; opens the coverage index, follows a link, clicks a state and
checks its counts; with --mermaid, renders every sample's mermaid text with the mermaid
package. Any error in the browser console fails the run.
"""

import argparse
import json
import pathlib
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
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
