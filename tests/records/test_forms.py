"""Free text is counted as the page's counter counts it (static/js/text-limits.js)."""

import importlib
import inspect
import pkgutil

from django import forms
from django.conf import settings

from records.forms import LongTextField, text_field


class NoteForm(forms.Form):
    note = text_field("Note", max_length=10)


def test_a_line_break_submitted_as_cr_lf_counts_once_and_is_kept_as_lf():
    # The page counts "12345\n6789" as 10 characters; the browser submits "12345\r\n6789".
    form = NoteForm(data={"note": "12345\r\n6789"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["note"] == "12345\n6789"


def test_an_emoji_counts_as_one_character_as_on_the_page():
    form = NoteForm(data={"note": "😀" * 10})
    assert form.is_valid(), form.errors


def test_the_length_message_writes_numbers_as_the_counter_does():
    class LongForm(forms.Form):
        note = text_field("Note", max_length=5000)

    # 5,001 characters, one line break among them, and a line break after them that is not kept.
    text = "x" * 2500 + "\r\n" + "x" * 2500 + "\r\n"
    form = LongForm(data={"note": text})
    assert not form.is_valid()
    assert form.errors["note"] == [
        "Ensure this text has at most 5,000 characters (it has 5,001). Shorten it: nothing you "
        "typed is lost."
    ]


def _project_forms():
    for app in settings.INSTALLED_APPS:
        if "." in app or not (settings.BASE_DIR / app).is_dir():
            continue
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        modules = [module]
        if hasattr(module, "__path__"):
            modules += [
                importlib.import_module(f"{module.__name__}.{info.name}")
                for info in pkgutil.iter_modules(module.__path__)
            ]
        for mod in modules:
            for _, cls in inspect.getmembers(mod, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == mod.__name__:
                    yield cls


def test_every_textarea_of_the_apps_counts_as_the_page_does():
    plain = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _project_forms()
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field.widget, forms.Textarea) and not isinstance(field, LongTextField)
    ]
    assert plain == []
