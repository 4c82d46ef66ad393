from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_login_is_in_simplified_chinese_by_default(client):
    response = client.get("/admin/login/")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "用户名" in response.text
    assert "苏港通" in response.text


def test_the_language_switcher_changes_the_language(client):
    response = client.get("/admin/login/")
    assert 'action="/i18n/setlang/"' in response.text
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/admin/login/"})
    assert "使用者名稱" in client.get("/admin/login/").text
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    assert "Username" in client.get("/admin/login/").text


def test_browsers_asking_for_traditional_chinese_get_it(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-HK,zh;q=0.9")
    assert response.headers["Content-Language"] == "zh-hant"


@pytest.mark.parametrize(
    ("language", "label"), [("zh-hans", "语言"), ("zh-hant", "語言"), ("en", "Language")]
)
def test_our_own_strings_are_translated(client, language, label):
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert f">{label}</label>" in client.get("/admin/login/").text
