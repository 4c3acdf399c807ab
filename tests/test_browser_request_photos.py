"""A resident in Chromium attaches photos of the spot to the request form and files it."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.factories import RAILWAY_SQUARE, add_service_area
from tests.photo_files import GPS_IFD, encoded, phone_jpeg
from transitreq.services.requests.filing import find_by_reference

pytestmark = pytest.mark.browser


def test_resident_attaches_two_photos_and_files(page, live_session):
    add_service_area(live_session)
    page.goto(page.base_url + "/")

    page.fill("#coordinates", f"{RAILWAY_SQUARE.y:.6f}, {RAILWAY_SQUARE.x:.6f}")
    page.click("#place-pin")
    page.fill("#title", "Stop by the allotments")
    page.fill("#description", "Gardeners carry tools and harvest from the far tram stop.")
    page.get_by_label("Photos", exact=True).set_input_files(
        [
            {"name": "IMG_0412.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg(1200, 900)},
            {"name": "gate.webp", "mimeType": "image/webp", "buffer": encoded("WEBP", 500, 400)},
        ]
    )
    page.click("#submit-request")

    expect(page.locator("h1")).to_have_text("Thank you: your request is filed")
    live_session.expire_all()
    filed = find_by_reference(live_session, page.inner_text("#reference"))
    assert [(photo.width, photo.height) for photo in filed.photos] == [(900, 1200), (500, 400)]
    kept = Image.open(io.BytesIO(filed.photos[0].data))
    assert not kept.getexif().get_ifd(GPS_IFD) and "exif" not in kept.info
