"""The status page: rendered from a real training's versions, and looked at in a real headless Chromium."""
import threading

import pytest
from werkzeug.serving import make_server

from support import payloads
from support.browser import chromium_installed, headless_chromium

pytestmark = pytest.mark.e2e


@pytest.fixture
def trained(client, app, run_jobs, bbc, monkeypatch):
    """Project 1 with a failed cold start (no Label Studio to reach) and two evaluated versions."""
    monkeypatch.setenv('MIN_EVAL_LABELS', '10')
    monkeypatch.setenv('EVAL_FRACTION', '0.3')
    client.post('/setup', json=payloads.setup())
    app.extensions['lsal'].queues['score'].enqueue('backend.rescore.cold_start_project', '1',
                                                   job_id='lsal-cold_start_project-1-0000', description='cold start 1')
    for first, pairs in ((1, bbc[:30]), (31, bbc[30:50])):
        for number, (text, label) in enumerate(pairs, start=first):
            body = payloads.annotation_created(number, number, text, label)
            assert client.post('/webhook', json=body).status_code == 200
        run_jobs()
    versions = client.get('/versions?project=1').json['versions']
    assert len(versions) == 2
    return versions


def test_the_pages_show_versions_metrics_chart_and_failed_jobs(client, trained):
    overview = client.get('/status')
    assert overview.status_code == 200 and overview.mimetype == 'text/html'
    html = overview.get_data(as_text=True)
    assert '/status/1' in html and trained[-1] in html
    page = client.get('/status/1').get_data(as_text=True)
    assert all(version in page for version in trained)
    assert page.count('<circle class="dot line-0"') == 2, 'one point per evaluated version'
    assert 'cold start 1' in page and 'LabelStudioUnavailable' in page, 'the failed job and its error'
    assert client.get('/status/7').status_code == 404


def test_the_status_page_is_behind_basic_auth(env, monkeypatch):
    from backend import create_app
    monkeypatch.setenv('BASIC_AUTH_USER', 'lead')
    monkeypatch.setenv('BASIC_AUTH_PASS', 's3cret')
    response = create_app().test_client().get('/status')
    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'].startswith('Basic')


@pytest.mark.skipif(not chromium_installed(),
                    reason='Debian chromium and chromium-driver not installed (make test installs them)')
def test_a_real_browser_shows_the_project_and_its_chart(app, trained, tmp_path):
    from selenium.webdriver.common.by import By
    server = make_server('127.0.0.1', 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with headless_chromium() as browser:
            browser.get(f'http://127.0.0.1:{server.server_port}/status')
            browser.find_element(By.LINK_TEXT, '1').click()
            assert browser.find_element(By.ID, 'serving').text == trained[-1]
            rows = browser.find_elements(By.CSS_SELECTOR, '#versions tr')
            assert [row.find_element(By.TAG_NAME, 'code').text for row in rows[1:]] == trained[::-1]
            chart = browser.find_element(By.CSS_SELECTOR, 'svg.chart')
            assert chart.size['width'] > 300 and chart.size['height'] > 100, 'the chart is drawn'
            assert len(chart.find_elements(By.CSS_SELECTOR, 'circle.line-0')) == 2
            assert 'LabelStudioUnavailable' in browser.find_element(By.ID, 'queues').text
            screenshot = tmp_path / 'status.png'
            browser.save_screenshot(str(screenshot))
            assert screenshot.stat().st_size > 10_000
    finally:
        server.shutdown()
