"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) and a running service.

Without Chromium the browser tests skip, saying what is missing; with ``CI`` set they fail
instead, so CI never silently skips them (`.ci/run` installs both packages).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _in_ci

START_SECONDS = 60  # how long the service may take to answer its health check at all


def _missing() -> list[str]:
    missing = []
    if shutil.which("chromium") is None:
        missing.append("chromium (apt-get install chromium)")
    if shutil.which("chromedriver") is None:
        missing.append("chromedriver (apt-get install chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    return missing


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven through chromedriver (one for the whole session)."""
    missing = _missing()
    if missing:
        reason = f"no headless Chromium for the browser tests: missing {', '.join(missing)}"
        if _in_ci():
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path=str(shutil.which("chromedriver"))), options=options
    )
    try:
        yield driver
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data: Path) -> Iterator[str]:
    """Run ``drawledger serve`` on a free loopback port; yield its base URL, then stop it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = data / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--data", str(data), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, f"{base}/health", log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"drawledger serve exited with {process.returncode}: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                # /health answers at once; the read models may still be catching up
                if response.status == 200 and not json.load(response)["read_models"]["behind"]:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"drawledger serve did not answer {url} within {START_SECONDS} s")


def replaced(element: Any) -> Callable[[Any], bool]:
    """A wait condition: the page ``element`` was found on has been replaced. Chromedriver says
    so either as a stale element or, for an element of a page being torn down, as "Node with
    given id does not belong to the document" (an unhandled inspector error, which selenium's
    ``staleness_of`` lets through: a clean-clone CI run failed on it once): both mean gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def gone(_driver: Any) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
        return False

    return gone
