"""Office (staff) accounts managed through the pages, and the public password set / reset flow."""
