import pytest

from policies.models import Round, SupportItem
from policies.services import seed_catalogue


@pytest.fixture
def catalogue(db):
    """The seeded policy, its nine items and the 2026 round, exactly as `seed_policies` loads them."""
    seed_catalogue()
    return {item.code: item for item in SupportItem.objects.all()}


@pytest.fixture
def round_2026(catalogue):
    return Round.objects.get(name="2026年度")
