"""Detail-page panels: registered by other apps, shown only where the viewer's scope allows."""

import pytest

from jiuye.accounts.permissions import Perm
from jiuye.web import panels


@pytest.fixture
def probe_panel():
    panel = panels.Panel("probe", "person", "Probe", "registry:person_detail", Perm.EDIT, order=1)
    panels.register(panel)
    yield panel
    panels._PANELS.pop(("person", "probe"))


@pytest.mark.django_db
def test_person_page_shows_registered_panel_for_editors_only(
    probe_panel, staff, client_for, person_factory
):
    person = person_factory("王小明", region_code="141021100200")
    url = f"/registry/people/{person.pk}/"
    page = client_for(staff["county_operator"]).get(url).content.decode()
    assert 'id="panel-probe"' in page
    assert f'hx-get="{url}"' in page
    # The province leader may view the person but holds no EDIT: no panel.
    page = client_for(staff["province_leader"]).get(url).content.decode()
    assert 'id="panel-probe"' not in page
