"""The console speaks the browser's language, Spanish or English, and switches on request."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, assert_accessible, shoot, shoot_dialog, sign_in


@pytest.fixture
def locale() -> str:
    return "es-ES"


def test_a_spanish_browser_gets_spanish_and_can_switch_to_english(page: Page, console: Console) -> None:
    sign_in(page, console, key_label="Clave de la API de administración", button="Entrar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks de entrada")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("columnheader", name="Última llamada")).to_be_visible()
    assert_accessible(page)
    shoot(page, "webhooks-es")

    page.get_by_role("button", name="Nuevo webhook").click()
    dialog = page.get_by_role("dialog", name="Nuevo webhook")
    dialog.get_by_label("Nombre", exact=True).fill("Formulario de la tienda")
    dialog.get_by_label("Lista", exact=True).select_option(label="Newsletter")
    dialog.get_by_label("Cuerpo de formulario").check()
    dialog.get_by_label("Pega un cuerpo de formulario").fill(
        "fields%5Bemail%5D%5Bvalue%5D=ana%40example.com&fields%5Bname%5D%5Bvalue%5D=Ana&fields%5Bcity%5D%5Bvalue%5D=Sevilla"
    )
    dialog.get_by_role("button", name="Leer la muestra").click()
    dialog.get_by_label("email (obligatorio)").select_option("/fields[email][value]")
    dialog.get_by_label("name", exact=True).select_option("/fields[name][value]")
    dialog.get_by_label("city", exact=True).select_option("/fields[city][value]")
    expect(dialog.get_by_label("double_optin")).to_contain_text("Sin usar (por defecto: false)")
    assert_accessible(page)
    shoot_dialog(page, "webhook-dialog-es")
    dialog.get_by_role("button", name="Cancelar").click()

    page.get_by_role("link", name="Exportar actividad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exportar actividad")
    expect(page.get_by_role("group", name="Actividades que recibe").first).to_be_visible()
    assert_accessible(page)
    shoot(page, "export-es")

    page.get_by_label("Idioma").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity export")
    expect(page.get_by_role("link", name="Inbound webhooks")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
