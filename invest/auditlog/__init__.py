"""The audit viewer (审计日志): the append-only audit log for auditors and managers, filtered and exported. Read-only."""
