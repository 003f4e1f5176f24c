from pathlib import Path

import polib
from django.test import Client
from django.utils import translation

import jiuye

PO = Path(jiuye.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_chinese_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy
    # The compiled .mo answers with exactly the .po's translations (it is not stale).
    with translation.override("zh-hans"):
        for entry in po.translated_entries():
            if entry.msgid_plural or entry.msgctxt:
                continue
            assert translation.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_chinese_is_the_default(staff):
    body = Client().get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in body
    assert "工作人员登录" in body


def test_language_switch(staff, client_for):
    client = client_for(staff["county_operator"])
    assert "工作台" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert 'lang="en"' in body and "Workbench" in body and "工作台" not in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get("/").content.decode()


def test_browser_language_is_honoured(regions):
    body = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert "Staff login" in body
