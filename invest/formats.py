"""Moved to invest.money, the one money module; this name stays only for the modules not yet switched
(applications.services, the portal views). Import `yuan` from invest.money."""

from invest.money import yuan

__all__ = ["yuan"]
