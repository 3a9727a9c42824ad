"""demo/server.py and page.html: the endpoints over real HTTP, and the page in headless Chromium."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import urllib.request
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from ganforge.demo.app import Demo
from ganforge.demo.server import MAX_BODY_BYTES, DemoServer
from ganforge.errors import GanforgeError
from tiny_demo import data_url, decode, inpainter, noise_model, post, translator


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def test_the_page_and_the_forms_are_served_on_127_0_0_1(serve):
    url = serve(Demo(noise_model(), title="tiny demo"))
    assert url.startswith("http://127.0.0.1:")
    status, kind, page = _get(url)
    assert status == 200 and kind.startswith("text/html")
    text = page.decode()
    assert "default-src 'none'" in text and "connect-src 'self'" in text
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", text)  # nothing fetched from elsewhere
    status, kind, body = _get(url + "api/forms")
    assert status == 200 and kind == "application/json"
    forms = json.loads(body)
    assert forms["title"] == "tiny demo"
    assert [f["id"] for f in forms["forms"]] == ["sample", "class", "sample-walk"]


def test_calls_of_sample_class_translate_and_inpaint_over_http(serve):
    gan = serve(Demo(noise_model())) + "api/call"
    a = post(gan, {"form": "sample", "values": {"seed": 1, "n": 4}})
    b = post(gan, {"form": "sample", "values": {"seed": 2, "n": 4}})
    assert a[0] == b[0] == 200 and a[1]["caption"] == "samples 0-3 of seed 1, every class in turn"
    assert not np.array_equal(decode(a[1]["image"]), decode(b[1]["image"]))
    status, reply = post(gan, {"form": "class", "values": {"seed": 1, "y": 1}})
    assert status == 200 and reply["caption"].endswith("class shoe")
    x = np.arange(144, dtype=np.uint8).reshape(12, 12)
    status, reply = post(
        serve(Demo(translator())) + "api/call",
        {"form": "translate", "values": {"image": data_url(x)}},
    )
    assert status == 200 and decode(reply["image"])[2, 2] == 255  # 255 - x[0, 0]
    m = np.zeros((16, 16), np.uint8)
    m[2:6, 2:6] = 255
    inp = serve(Demo(inpainter())) + "api/call"
    status, reply = post(
        inp,
        {
            "form": "inpaint",
            "values": {"image": data_url(np.zeros((16, 16), np.uint8)), "mask": data_url(m)},
        },
    )
    assert status == 200 and reply["caption"] == "the 16x16 upload, its mask"


def test_bad_requests_get_a_json_line_and_a_status(serve):
    url = serve(Demo(inpainter()))
    image = data_url(np.zeros((16, 16), np.uint8))
    cases = [
        (
            {
                "form": "inpaint",
                "values": {"image": "data:text/plain;base64,aGVsbG8=", "mask": image},
            },
            400,
            "cannot read the image upload: not a readable image",
        ),
        (
            {
                "form": "inpaint",
                "values": {"image": image, "mask": data_url(np.full((8, 8), 255, np.uint8))},
            },
            400,
            "mask upload is 8x8 pixels but its image is 16x16",
        ),
        ({"form": "sample", "values": {}}, 400, "this model has no form 'sample': it has inpaint"),
        ([1, 2], 400, "the request must be a JSON object"),
        ({"form": "inpaint", "values": [1]}, 400, "the request's values must be a JSON object"),
    ]
    for body, code, message in cases:
        status, reply = post(url + "api/call", body)
        assert status == code and message in reply["error"] and "\n" not in reply["error"], reply
    assert post(url + "api/call", None, raw=b"{not json")[1] == {"error": "the request is not JSON"}
    assert _get(url + "nowhere")[0] == 404 and _get(url + "api/call")[0] == 405
    # A body over the limit is refused from its Content-Length, before it is read.
    host = urlsplit(url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.putrequest("POST", "/api/call")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    conn.endheaders()
    r = conn.getresponse()
    assert r.status == 413 and b"uploads are limited to 16 MB each" in r.read()
    conn.close()


def test_other_sites_cannot_use_the_demo_through_the_browser(serve):
    url = serve(Demo(noise_model()))
    port = urlsplit(url).port
    body = json.dumps({"form": "sample", "values": {"seed": 0}}).encode()

    def request(method, headers, data=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, "/api/call" if data else "/", data, headers)
        r = conn.getresponse()
        reply = r.status, r.read()
        conn.close()
        return reply

    json_type = {"Content-Type": "application/json"}
    # A page of evil.example whose DNS name was rebound to 127.0.0.1 still sends its own Host.
    status, reply = request("GET", {"Host": f"evil.example:{port}"})
    assert status == 403 and b"answers requests for 127.0.0.1:" in reply
    assert request("POST", {"Host": f"evil.example:{port}", **json_type}, body)[0] == 403
    assert request("GET", {"Host": f"localhost:{port}"})[0] == 200
    # A cross-site form or no-cors fetch can only send simple content types: refused unread.
    status, reply = request("POST", {"Content-Type": "text/plain"}, body)
    assert status == 415 and b"application/json" in reply
    assert request("POST", json_type, body)[0] == 200


def test_a_bug_is_a_500_line_in_the_page_and_a_traceback_in_the_terminal(serve, capsys):
    model = noise_model()
    model.G.forward = lambda z, y=None: 1 / 0
    status, reply = post(serve(Demo(model)) + "api/call", {"form": "sample", "values": {"seed": 0}})
    assert status == 500
    assert reply == {
        "error": "internal error (ZeroDivisionError: division by zero); see the terminal"
    }
    assert "Traceback" in capsys.readouterr().err


def test_a_taken_port_is_one_line_naming_it_and_the_option():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(GanforgeError) as e:
            DemoServer(port, Demo(noise_model()))
    assert str(e.value) == (
        f"port {port} on 127.0.0.1 is taken (another demo or program listens there): pick "
        "another with --port N, or --port 0 for a free one"
    )


# --------------------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _selenium_missing() -> str | None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "headless Chromium and its driver not installed (Debian: chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e '.[demo-test]')"
    return None


@pytest.mark.skipif(_selenium_missing() is not None, reason=str(_selenium_missing()))
def test_the_page_in_headless_chromium(serve, tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"):
        options.add_argument(arg)  # --no-sandbox: CI containers run as root
    # The driver named explicitly: selenium-manager never looks for (or downloads) one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(serve(Demo(noise_model(), title="tiny demo")))
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
        assert driver.title == "tiny demo"
        ids = [s.get_attribute("id") for s in driver.find_elements(By.CSS_SELECTOR, "section.form")]
        assert ids == ["form-sample", "form-class", "form-sample-walk"]
        sample = driver.find_element(By.ID, "form-sample")
        calls = lambda: int(sample.get_attribute("data-calls"))  # noqa: E731
        wait.until(lambda d: calls() >= 1)  # a form drawn from noise runs when the page opens
        out = driver.find_element(By.ID, "output-sample")
        before = out.get_attribute("src")
        # Change the seed: the form runs again and shows other samples.
        seed = sample.find_element(By.NAME, "seed")
        seed.clear()
        seed.send_keys("7")
        driver.execute_script(
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", seed
        )
        wait.until(lambda d: out.get_attribute("src") != before)
        after = out.get_attribute("src")
        assert driver.find_element(By.ID, "caption-sample").text.startswith(
            "samples 0-15 of seed 7"
        )
        a, b = decode(before), decode(after)
        assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() > 10
        # The class picker lists the run's classes; a bad value is a message in the page.
        picker = Select(driver.find_element(By.ID, "form-class").find_element(By.NAME, "y"))
        assert [o.text for o in picker.options] == ["0: shirt", "1: shoe", "2: bag"]
        trunc = sample.find_element(By.NAME, "truncation")
        trunc.send_keys("-2")
        n = calls()
        sample.find_element(By.NAME, "run").click()
        wait.until(lambda d: calls() > n)
        error = driver.find_element(By.ID, "error-sample").text
        assert error == "truncation -2.0 must be a positive number (e.g. 0.7), or empty for none"
        assert out.get_attribute("src") == after  # the last good samples stay
        shot = tmp_path / "demo.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
        # A translate page: an upload that is not an image gets a message, not a stack trace.
        bad = tmp_path / "notes.png"
        bad.write_text("not an image")
        driver.get(serve(Demo(translator())))
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
        form = driver.find_element(By.ID, "form-translate")
        form.find_element(By.NAME, "image").send_keys(str(bad))
        form.find_element(By.NAME, "run").click()
        wait.until(lambda d: form.get_attribute("data-calls") == "1")
        message = driver.find_element(By.ID, "error-translate").text
        assert message.startswith("cannot read the image upload: not a readable image"), message
        good = tmp_path / "x.png"
        Image.fromarray(np.full((8, 8), 10, np.uint8)).save(good)
        form.find_element(By.NAME, "image").send_keys(str(good))
        form.find_element(By.NAME, "run").click()
        wait.until(lambda d: form.get_attribute("data-calls") == "2")
        assert driver.find_element(By.ID, "error-translate").text == ""
        shown = decode(driver.find_element(By.ID, "output-translate").get_attribute("src"))
        assert int(shown[4, 4]) == 245  # 255 - 10: the translator's output
        # An inpaint page: the mask drawn over the uploaded image with the mouse.
        photo = tmp_path / "photo.png"
        Image.fromarray(np.full((32, 32), 90, np.uint8)).save(photo)
        driver.get(serve(Demo(inpainter())))
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
        form = driver.find_element(By.ID, "form-inpaint")
        form.find_element(By.NAME, "image").send_keys(str(photo))
        strokes = form.find_element(By.CSS_SELECTOR, "canvas.strokes")
        wait.until(lambda d: strokes.is_displayed() and strokes.get_attribute("width") == "32")
        ActionChains(driver).move_to_element(strokes).click_and_hold().move_by_offset(
            40, 0
        ).release().perform()  # a stroke right of the centre, on a 256 px wide canvas
        form.find_element(By.NAME, "run").click()
        wait.until(lambda d: form.get_attribute("data-calls") == "1")
        assert driver.find_element(By.ID, "error-inpaint").text == ""
        assert driver.find_element(By.ID, "caption-inpaint").text == "the 32x32 upload, its mask"
        filled = decode(driver.find_element(By.ID, "output-inpaint").get_attribute("src"))
        tile = filled[2 : 2 + 64 : 2, 2 : 2 + 64 : 2]  # 32 px enlarged 2x
        assert (tile == 90).mean() > 0.5 and (tile != 90).any()  # known kept, the stroke filled
        # The stroke, from the centre 5 px right (40 CSS px / 8) with a 2 px brush, was filled (a
        # fill may hit 90 by chance at a pixel); the top row, far from it, is the image's.
        assert (tile[15:18, 16:21] != 90).mean() > 0.5 and (tile[0] == 90).all()
    finally:
        driver.quit()
