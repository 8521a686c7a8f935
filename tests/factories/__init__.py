"""factory-boy factories, one module per app; import them from here or from the module."""

from .companies import CompanyFactory, MembershipFactory, UserFactory  # noqa: F401
