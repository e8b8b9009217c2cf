"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, which ``make test`` installs)."""
import shutil
from contextlib import contextmanager

CHROMIUM, CHROMEDRIVER = '/usr/bin/chromium', '/usr/bin/chromedriver'


def chromium_installed():
    return bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


@contextmanager
def headless_chromium(width=1100, height=1400):
    """A Selenium driver of a headless Chromium window of ``width`` x ``height`` pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', f'--window-size={width},{height}'):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()
