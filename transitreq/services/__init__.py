"""The domain rules: one function per use case, one transaction each, domain errors on refusal."""
