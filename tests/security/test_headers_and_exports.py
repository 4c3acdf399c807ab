"""Response headers that hold pages to what we promise, and spreadsheet exports that cannot run
what residents typed."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import reconfigure
from tests.factories import add_service_area, file_request, log_in
from transitreq.services.reports.export_files import spreadsheet_safe


def test_every_page_carries_the_protective_headers(client, app_session):
    for url in ("/", "/api/layers/service-areas", "/login", "/nowhere"):
        headers = client.get(url).headers
        assert headers["X-Frame-Options"] == "SAMEORIGIN", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"], url
        # Served over plain HTTP (tests), no HSTS: it would pin a host that has no HTTPS.
        assert "Strict-Transport-Security" not in headers, url


def test_hsts_is_sent_when_served_over_https(app, client):
    over_https = client.get("/", base_url="https://transitreq.test")
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000"
    reconfigure(app, SESSION_COOKIE_SECURE=True)
    behind_tls_proxy = client.get("/")
    assert behind_tls_proxy.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (" =1+1", " '=1+1"),
        ("\t=1+1", "\t'=1+1"),
        ("Stop;=1+1", "Stop;'=1+1"),
        ('Stop, =HYPERLINK("http://evil.example")', 'Stop, \'=HYPERLINK("http://evil.example")'),
        ("Stop|=cmd", "Stop|'=cmd"),
        ("=1;-2", "'=1;'-2"),
    ],
)
def test_the_formula_guard_catches_formulas_after_blanks_and_separators(text, guarded):
    """Pins ``;=1+1`` escaping the guard: Excel in a locale whose separator is ``;`` splits the
    cell there, and the part after it ran as a formula. Each part is now inert on its own."""
    assert spreadsheet_safe(text) == guarded


@pytest.mark.parametrize("text", ["Stop at the clinic", "Kamppi - Ruoholahti", "中文站名", ""])
def test_the_formula_guard_leaves_plain_text_alone(text):
    assert spreadsheet_safe(text) == text


def test_spreadsheet_csv_quotes_every_cell_so_no_locale_splits_one(client, app_session):
    add_service_area(app_session)
    file_request(app_session, title="Stop;=1+1")
    log_in(client, app_session, "planner")
    body = client.get("/planning/exports/requests.csv").get_data(as_text=True).lstrip("\ufeff")
    data_line = body.splitlines()[1]
    assert data_line.startswith('"SR-') and '"Stop;\'=1+1"' in data_line
    # Read with a semicolon, as a spreadsheet in such a locale would: no part starts a formula.
    for separator in (",", ";"):
        for cell in next(csv.reader(io.StringIO(data_line), delimiter=separator)):
            assert not cell.strip().strip('"').lstrip().startswith(("=", "+", "-", "@")), cell
