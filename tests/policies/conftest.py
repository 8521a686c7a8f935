import pytest
from django.utils import timezone

from policies.models import Round, SupportItem
from policies.services import seed_catalogue


@pytest.fixture
def catalogue(db):
    """The seeded policy, its nine items and this year's round, exactly as `seed_policies` loads them."""
    seed_catalogue()
    return {item.code: item for item in SupportItem.objects.all()}


@pytest.fixture
def seeded_round(catalogue):
    """This year's round (1 January to the next 1 January), whatever year the clock says."""
    return Round.objects.get(year=timezone.localdate().year)
