"""The catalogues keep up with the source: every string marked for translation is in each
catalogue, translated, with the same placeholders, compiled; and the scripts hold no sentences
of their own, only keys their pages hand them.

These fail when someone adds an English string and forgets `make translations`, which is how a
Chinese page would otherwise quietly show English.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from transitreq.i18n import LOCALES

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = ROOT / "transitreq" / "translations"
SCRIPTS = ROOT / "static" / "js"
TRANSLATED = [locale for locale in LOCALES if locale != "en"]
# %(name)s, %(num)d in Python and templates; {name} in the scripts' messages.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _catalogue(locale: str):
    with (CATALOGUE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _ids(catalogue) -> set[str]:
    return {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalogue
        if message.id
    }


def _forms(value) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [value]


@pytest.fixture(scope="module")
def source_ids(tmp_path_factory) -> set[str]:
    """The strings the source marks today, extracted as `make translations` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(ROOT / "scripts" / "translations"), "pot", str(pot)],
        check=True,
        env={"BIN": str(bin_dir), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    with pot.open("rb") as template:
        return _ids(read_po(template))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_marked_string_is_in_the_catalogue(locale, source_ids):
    catalogue_ids = _ids(_catalogue(locale))
    assert sorted(source_ids - catalogue_ids) == [], "run make translations"
    assert sorted(catalogue_ids - source_ids) == [], "run make translations (obsolete strings)"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_is_translated_and_none_is_fuzzy(locale):
    catalogue = _catalogue(locale)
    untranslated = [
        message.id for message in catalogue if message.id and not all(_forms(message.string))
    ]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_every_placeholder(locale):
    """A placeholder lost in translation is a value the reader never sees; one invented is an
    error when the page is drawn."""
    wrong = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        wanted = {
            name
            for pair in _PLACEHOLDER.findall(" ".join(_forms(message.id)))
            for name in pair
            if name
        }
        for form in _forms(message.string):
            found = {name for pair in _PLACEHOLDER.findall(form) for name in pair if name}
            if found != wanted:
                wrong.append((message.id, form))
    assert wrong == []


def _pairs(messages) -> dict:
    """id -> translation, plural ids and forms as tuples (the .mo reader gives lists)."""
    return {
        message.id if isinstance(message.id, str) else tuple(message.id): tuple(
            _forms(message.string)
        )
        for message in messages
        if message.id
    }


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_compiled_catalogue_is_the_translators_file(locale):
    """The app reads the .mo; a .po edited without `make translations` would not be shown."""
    with (CATALOGUE_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = _pairs(read_mo(mo))
    written = _pairs(message for message in _catalogue(locale) if all(_forms(message.string)))
    assert compiled == written


# t("key"), tn("key", …) and t("prefix." + value) in the scripts.
_KEY_CALL = re.compile(r"""\btn?\(\s*(["'])([\w.]+)\1\s*(\+)?""")


def _script_keys() -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for script in sorted(SCRIPTS.glob("*.js")):
        for match in _KEY_CALL.finditer(script.read_text(encoding="utf-8")):
            key = match.group(2) + ("*" if match.group(3) else "")
            keys.setdefault(script.name, set()).add(key)
    return keys


def test_every_key_a_script_asks_for_is_in_its_catalogues(app):
    from transitreq.web.script_messages import all_script_messages

    with app.test_request_context("/"):
        known = set(all_script_messages())
    missing = []
    for script, keys in _script_keys().items():
        for key in keys:
            if key.endswith("*"):
                if not any(name.startswith(key[:-1]) for name in known):
                    missing.append((script, key))
            elif key not in known and not {key + ".one", key + ".other"} <= known:
                missing.append((script, key))
    assert missing == []
    assert _script_keys(), "no script asks for a message: the pattern no longer matches"


# A string literal in a script with two or more words in it, the first capitalised or ending in
# a full stop: a sentence the script would show as it is, in English whatever the page's
# language. Selectors, class lists, event names and format strings are not sentences.
_STRING_LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1).)*)\1""")
_SENTENCE = re.compile(
    r"^[A-Z][a-z]+(?:[ ,’'-]+[A-Za-z’']+)+[.!?…:]?$|^[a-z]+(?: [a-z]+){2,}[.!?]$"
)


_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _code_of(script: Path) -> str:
    """The script without its block comments (kept as blank lines, so line numbers hold)."""
    text = script.read_text(encoding="utf-8")
    return _BLOCK_COMMENT.sub(lambda comment: "\n" * comment.group().count("\n"), text)


def test_scripts_hold_no_sentences():
    found = []
    for script in sorted(SCRIPTS.glob("*.js")):
        for number, line in enumerate(_code_of(script).splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            for match in _STRING_LITERAL.finditer(line):
                text = match.group(2).strip()
                if _SENTENCE.match(text):
                    found.append(f"{script.name}:{number}: {text}")
    assert found == []


def test_the_sentence_finder_finds_sentences():
    """The check above is only as good as its pattern: it must catch what it is for."""
    assert _SENTENCE.match("Could not load the map layer.")
    assert _SENTENCE.match("Zoom in")
    assert not _SENTENCE.match("leaflet-control-zoom-in")
    assert not _SENTENCE.match("map.zoom_in.stops")
    assert not _SENTENCE.match("#map_city .marker-cluster")
