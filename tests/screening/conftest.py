import pytest

from tests.screening.factories import StudyScreeningConfigFactory


@pytest.fixture(autouse=True)
def screening_config(request):
    """The test study screens against the published MAPP1 criteria (CAPS-5 >= 35)."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        if not any(m.name == "django_db" for m in request.node.iter_markers()):
            return None
    study = request.getfixturevalue("study")
    return StudyScreeningConfigFactory(study=study)
