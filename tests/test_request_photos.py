"""Residents attach photos of the spot when filing (issue 14): what is kept of them, what is
refused, and who sees them before and after a planner publishes them."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import csrf_token_from
from tests.factories import (
    RAILWAY_SQUARE,
    add_service_area,
    file_request,
    log_in,
    row_counts,
    version_of,
)
from tests.photo_files import (
    CAMERA_MODEL,
    GPS_IFD,
    bomb_png,
    encoded,
    noise_png,
    phone_jpeg,
)
from transitreq.models import Audience, Event, EventKind, RequestPhoto
from transitreq.sentences import event_text
from transitreq.services.requests.filing import find_by_reference
from transitreq.services.requests.photo_files import PhotoFile

FORM = {
    "title": "Stop at the health centre",
    "description": "Patients walk from the tram along a busy road.",
    "served_groups": ["health"],
    "landmark": "Health centre",
    "coordinates": f"{RAILWAY_SQUARE.y}, {RAILWAY_SQUARE.x}",
}


def _file_with_photos(client, *photos: tuple[bytes, str]):
    """Send the home page's form as a browser does, multipart, with ``photos`` attached."""
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    files = [(io.BytesIO(data), name) for data, name in photos]
    return client.post(
        "/requests",
        data=FORM | {"csrf_token": token, "photos": files},
        content_type="multipart/form-data",
    )


def _stored_photos(session) -> list[RequestPhoto]:
    session.expire_all()
    return list(session.scalars(select(RequestPhoto).order_by(RequestPhoto.id)))


def _nothing_written(session) -> bool:
    counts = row_counts(session)
    photos = session.scalar(select(func.count()).select_from(RequestPhoto))
    return counts["stop_requests"] == counts["events"] == photos == 0


def test_a_phone_photo_is_kept_without_its_location_and_png_and_webp_are_taken(client, app_session):
    add_service_area(app_session)
    sent = _file_with_photos(
        client,
        (phone_jpeg(3000, 2000), "IMG_2041.jpg"),
        (encoded("PNG", 640, 480, "RGBA"), "screenshot.png"),
        (encoded("WEBP", 4100, 300, exif=b"Exif\x00\x00"), "panorama.webp"),
    )

    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    photos = _stored_photos(app_session)
    assert [(p.content_type, p.width, p.height, p.published) for p in photos] == [
        # Turned upright as the camera said, and shrunk to 2048 px on the long side.
        ("image/jpeg", 1365, 2048, False),
        ("image/jpeg", 640, 480, False),
        ("image/jpeg", 2048, 150, False),
    ]
    for photo in photos:
        image = Image.open(io.BytesIO(photo.data))
        image.load()
        assert image.format == "JPEG"
        assert image.size == (photo.width, photo.height)
        assert not image.getexif().get_ifd(GPS_IFD)
        assert not dict(image.getexif())
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    phone = photos[0].data
    for trace in (b"Exif", CAMERA_MODEL.encode(), b"home of the photographer", b"xmpmeta"):
        assert trace not in phone
    # The transparent screenshot is laid on white, not on black.
    corner = Image.open(io.BytesIO(photos[1].data)).convert("RGB").getpixel((0, 0))
    assert min(corner) > 100


def _refused_with(client, app_session, message: str, *photos: tuple[bytes, str]) -> str:
    sent = _file_with_photos(client, *photos)
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422, html[:2000]
    assert re.search(r'id="photos-error" role="alert">[^<]*' + re.escape(message), html), html
    # What was typed comes back; the files cannot, and the form says so.
    assert 'value="Health centre"' in html
    assert 'id="photos-again"' in html
    assert _nothing_written(app_session)
    return html


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        pytest.param(
            [(b"Dear planners, please build a stop.\n", "letter.jpg")],
            "“letter.jpg” is not a JPEG, PNG or WebP photo.",
            id="text named .jpg",
        ),
        pytest.param(
            [(noise_png(6 * 1024 * 1024), "huge.png")],
            "“huge.png” is over 5 MB",
            id="6 MB image",
        ),
        pytest.param(
            [(encoded("PNG", 40, 30), f"spot-{n}.png") for n in range(4)],
            "Attach at most 3 photos; 4 were chosen.",
            id="fourth photo",
        ),
        pytest.param(
            # 400 million pixels in 50 KB: Pillow's own DecompressionBombError.
            [(encoded("PNG", 40, 30), "fine.png"), (bomb_png(20_000, 20_000), "bomb.png")],
            "“bomb.png” has too many pixels",
            id="decompression bomb",
        ),
        pytest.param(
            # Under Pillow's limit, over ours: refused before a pixel is decoded.
            [(bomb_png(9_000, 6_000), "tall.png")],
            "“tall.png” has too many pixels (9000 × 6000 pixels)",
            id="over 50 megapixels",
        ),
        pytest.param(
            [(phone_jpeg(400, 300)[:3000], "cut.jpg")],
            "“cut.jpg” could not be read as a photo",
            id="truncated JPEG",
        ),
    ],
)
def test_a_bad_photo_refuses_the_whole_request_naming_the_field(
    client, app_session, photos, message
):
    add_service_area(app_session)
    _refused_with(client, app_session, message, *photos)


def test_photos_too_large_together_get_a_clear_413_page(client, app_session):
    add_service_area(app_session)
    big = noise_png(6 * 1024 * 1024)

    sent = _file_with_photos(client, (big, "a.png"), (big, "b.png"), (big, "c.png"))

    html = sent.get_data(as_text=True)
    assert sent.status_code == 413
    assert "attach at most 3 photos of up to 5 MB each" in html
    assert 'id="request-form"' in html and 'id="photos-error"' in html
    assert _nothing_written(app_session)


def _filed_with_photo(session):
    return file_request(
        session,
        photos=[
            PhotoFile("kerb.jpg", phone_jpeg(800, 600)),
            PhotoFile("sign.png", encoded("PNG", 300, 200)),
        ],
    )


def test_an_unpublished_photo_is_for_planners_only(app, client, app_session):
    add_service_area(app_session)
    filed = _filed_with_photo(app_session)
    photo = filed.photos[0]
    url = f"/requests/{filed.reference}/photos/{photo.id}"

    unpublished = client.get(url)
    missing = client.get(f"/requests/{filed.reference}/photos/{photo.id + 100}")
    assert unpublished.status_code == missing.status_code == 404
    # Word for word the answer for a photo that does not exist: nothing says one is waiting.
    message = re.compile(r'class="error-message">([^<]*)<')
    assert message.search(unpublished.text)[1] == (
        f"{filed.reference} has no photo number {photo.id}."
    )
    assert message.search(missing.text)[1] == (
        f"{filed.reference} has no photo number {photo.id + 100}."
    )
    assert client.get(f"/requests/{filed.reference}").get_data(as_text=True).count(url) == 0
    assert client.get(f"/api/requests/{filed.reference}").get_json()["photos"] == []
    log_in(client, app_session, role="department")
    assert client.get(url).status_code == 404

    planner_browser = app.test_client()
    log_in(planner_browser, app_session, role="planner")
    served = planner_browser.get(url)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == (
        f"inline; filename={filed.reference}-photo-1.jpg"
    )
    assert served.headers["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(served.data)).size == (photo.width, photo.height)
    # A photo is found only under its own request's reference.
    other = file_request(app_session, title="Another stop")
    assert planner_browser.get(f"/requests/{other.reference}/photos/{photo.id}").status_code == 404


def _publish_or_hide(client, reference: str, photo_number: int, action: str):
    page = client.get(f"/planning/requests/{reference}").get_data(as_text=True)
    form = re.search(
        rf'action="(/planning/requests/{reference}/photos/\d+/{action})">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">\s*'
        rf'<button type="submit" class="secondary">\w+ photo {photo_number}</button>',
        page,
    )
    assert form, page
    return client.post(form.group(1), data={"csrf_token": form.group(2)})


def test_planner_publishes_a_photo_and_hides_it_again(app, client, app_session):
    add_service_area(app_session)
    filed = _filed_with_photo(app_session)
    first, second = filed.photos
    url = f"/requests/{filed.reference}/photos/{first.id}"
    version = version_of(app_session, filed)
    planner = app.test_client()
    user = log_in(planner, app_session, role="planner")
    review = planner.get(f"/planning/requests/{filed.reference}").get_data(as_text=True)
    assert review.count(f'<img src="{url}"') == 1 and f'<a href="{url}">' in review
    assert "Publish photo 2" in review

    published = _publish_or_hide(planner, filed.reference, 1, "publish")

    assert published.status_code == 303
    tracking = client.get(f"/requests/{filed.reference}").get_data(as_text=True)
    assert f'<img src="{url}"' in tracking
    assert f"/photos/{second.id}" not in tracking
    api = client.get(f"/api/requests/{filed.reference}").get_json()
    # The phone held upright: 800 × 600 pixels stored on their side, served 600 wide.
    assert api["photos"] == [{"url": f"http://transitreq.test{url}", "width": 600, "height": 800}]
    shown = client.get(url)
    assert shown.status_code == 200 and shown.headers["Cache-Control"].startswith("public")
    app_session.expire_all()
    stored = app_session.get(RequestPhoto, first.id)
    assert stored.published_by_user_id == user.id and stored.published_at is not None
    # Publishing is no decision on the request: forms planners have open stay valid.
    assert version_of(app_session, filed) == version

    hidden = _publish_or_hide(planner, filed.reference, 1, "hide")

    assert hidden.status_code == 303
    assert f"/photos/{first.id}" not in client.get(f"/requests/{filed.reference}").text
    assert client.get(f"/api/requests/{filed.reference}").get_json()["photos"] == []
    assert client.get(url).status_code == 404
    logged = app_session.scalars(
        select(Event)
        .where(Event.kind.in_([EventKind.PHOTO_PUBLISHED, EventKind.PHOTO_HIDDEN]))
        .order_by(Event.id)
    ).all()
    assert [(e.kind, e.audience, e.actor, e.facts, event_text(e)) for e in logged] == [
        (
            EventKind.PHOTO_PUBLISHED,
            Audience.INTERNAL,
            user.name,
            {"photo": 1},
            "Photo 1 published: the public sees it.",
        ),
        (
            EventKind.PHOTO_HIDDEN,
            Audience.INTERNAL,
            user.name,
            {"photo": 1},
            "Photo 1 hidden from the public.",
        ),
    ]
    audit_log = planner.get(f"/planning/requests/{filed.reference}").get_data(as_text=True)
    assert "Photo 1 hidden from the public." in audit_log
    public_kinds = [event["kind"] for event in api["timeline"]]
    assert not [kind for kind in public_kinds if kind.startswith("photo")]


def test_publishing_a_photo_of_another_request_is_refused(app, client, app_session):
    add_service_area(app_session)
    filed = _filed_with_photo(app_session)
    other = file_request(app_session, title="Another stop")
    log_in(client, app_session, role="planner")
    token = csrf_token_from(client.get(f"/planning/requests/{other.reference}").text)

    sent = client.post(
        f"/planning/requests/{other.reference}/photos/{filed.photos[0].id}/publish",
        data={"csrf_token": token},
    )

    assert sent.status_code == 404
    assert f"{other.reference} has no photo number" in sent.get_data(as_text=True)
    app_session.expire_all()
    assert not find_by_reference(app_session, filed.reference).photos[0].published
