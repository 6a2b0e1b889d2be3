"""Reviewing an SOP change: where an SOP comes from (file or git revision), what changed
(`diff`), what the change touches (`impact`), whether its version moved (`version`),
what still points at removed ids (`references`), and the printable handout (`render`).
"""
